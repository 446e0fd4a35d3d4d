using System.Buffers.Binary;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>katgpucbf's X-engine heap: (channels per substream, baselines, 2) little-endian int32, known at start-up.</summary>
public partial record struct XengDump(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Bits = 48)] ulong Frequency,
    [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, 2 }, ByteOrder = SpeadByteOrder.LittleEndian)] int[] XengRaw);

/// <summary>The same heap with the visibilities as a rectangular array and as memory.</summary>
public partial record XengGrid(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, 2 }, ByteOrder = SpeadByteOrder.LittleEndian)] int[,,] XengRaw,
    [SpeadItem(0x1801, Shape = new[] { SpeadDimension.RunTime })] Memory<float> Gains);

/// <summary>4-bit signed samples, two per byte, with run-time dimensions.</summary>
public partial record struct Feng4(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4300, Bits = 4, Shape = new[] { SpeadDimension.RunTime, 2 })] sbyte[] FengRaw);

/// <summary>Variable dimensions on multi-byte elements (spead2's format path, big-endian).</summary>
public partial record Variable(
    [SpeadItem(0x5000)] int[] Counts,
    [SpeadItem(0x5001, Shape = new[] { -1, 2 })] float[] Pairs,
    [SpeadItem(0x5002)] ulong[]? Optional);

/// <summary>Fortran order needs a rectangular array; big-endian on the wire.</summary>
public partial record Fortran(
    [SpeadItem(0x6000, Shape = new[] { 2, 3 }, Order = ArrayOrder.Fortran, ByteOrder = SpeadByteOrder.BigEndian)] ushort[,] Grid);

[Collection(AllocationCollection.Name)]   // one test measures allocations
public class RunTimeShapeTests
{
    private const int Channels = 4;
    private const int Baselines = 40; // 2 * 4 * (4 + 1)

    private static readonly SpeadShapes Shapes = new() { { nameof(XengDump.XengRaw), Channels, Baselines, 2 } };

    private static byte[] ItemBytes(ReceivedHeap heap, long id)
    {
        Assert.True(heap.TryGetItem(id, out var item));
        return item.Span.ToArray();
    }

    private static int[] Vis(int seed) => Enumerable.Range(0, Channels * Baselines * 2).Select(i => i * 1000 - seed).ToArray();

    [Fact]
    public void DescriptorsCarryTheConcreteShape()
    {
        var generator = new HeapWriter<XengDump>(Shapes);
        var d = generator.Descriptors[2];
        Assert.Equal(new long[] { Channels, Baselines, 2 }, d.Shape);
        Assert.Equal("<i4", d.Dtype);
        var expected = new Descriptor(0x1800, "xeng_raw", "", [Channels, Baselines, 2], dtype: "<i4");
        Assert.Equal(expected.ToRaw(Flavour.Default), d.ToRaw(Flavour.Default));
        Assert.False(generator.Layout.HasRunTimeDimensions);
        Assert.True(XengDump.Layout.HasRunTimeDimensions);
    }

    [Fact]
    public void AnUnsetDimensionFailsAtConstructionNamingTheMember()
    {
        var e = Assert.Throws<ArgumentException>(() => new HeapWriter<XengDump>());
        Assert.Equal("shapes", e.ParamName);
        Assert.Contains("XengDump.XengRaw", e.Message);
        Assert.Contains("(?, ?, 2)", e.Message);
        e = Assert.Throws<ArgumentException>(() => new HeapReader<XengDump>(new SpeadShapes()));
        Assert.Contains("XengDump.XengRaw", e.Message);
        var invalid = Assert.Throws<InvalidOperationException>(() => XengDump.Descriptors);
        Assert.Contains("XengDump.XengRaw", invalid.Message);
        invalid = Assert.Throws<InvalidOperationException>(() => XengDump.AddItems(new XengDump(1, 2, Vis(0)), new Heap()));
        Assert.Contains("XengDump.XengRaw", invalid.Message);
    }

    [Theory]
    [InlineData(new long[] { 4, 40 }, "has 2 dimensions")]
    [InlineData(new long[] { 4, 40, 3 }, "dimension 2")]
    public void AShapeThatDoesNotFitTheDeclarationFails(long[] shape, string why)
    {
        var shapes = new SpeadShapes { [nameof(XengDump.XengRaw)] = shape };
        var e = Assert.Throws<ArgumentException>(() => new HeapWriter<XengDump>(shapes));
        Assert.Contains("XengDump.XengRaw", e.Message);
        Assert.Contains(why, e.Message);
        e = Assert.Throws<ArgumentException>(() => new HeapWriter<XengDump>(new SpeadShapes { { "Timestamp", 1 } }));
        Assert.Contains("XengDump.Timestamp", e.Message);
        e = Assert.Throws<ArgumentException>(() => new HeapWriter<XengDump>(new SpeadShapes { { "Nope", 1 } }));
        Assert.Contains("'Nope'", e.Message);
    }

    [Fact]
    public void AValueOfAnotherShapeThrowsNamingRecordMemberAndBothShapes()
    {
        var generator = new HeapWriter<XengDump>(Shapes);
        var e = Assert.Throws<ArgumentException>(() => generator.GetHeap(new XengDump(1, 2, new int[10])));
        Assert.Contains("XengDump.XengRaw", e.Message);
        Assert.Contains("(4, 40, 2) = 320 elements", e.Message);
        Assert.Contains("10 elements", e.Message);

        var grid = new HeapWriter<XengGrid>(new SpeadShapes { { "XengRaw", Channels, Baselines, 2 }, { "Gains", 3 } });
        e = Assert.Throws<ArgumentException>(() => grid.GetHeap(new XengGrid(1, new int[Channels, Baselines, 3], new float[3])));
        Assert.Contains("XengGrid.XengRaw", e.Message);
        Assert.Contains("expected shape (4, 40, 2), but the value has shape (4, 40, 3)", e.Message);
    }

    [Fact]
    public void LittleEndianVisibilitiesAreSentAsLittleEndianInt32()
    {
        var vis = Vis(7);
        var heap = ReceiveHelpers.RoundTrip(new HeapWriter<XengDump>(Shapes).GetHeap(new XengDump(1, 2, vis)));
        var expected = new byte[vis.Length * 4];
        for (var i = 0; i < vis.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(expected.AsSpan(i * 4), vis[i]);
        }

        Assert.Equal(expected, ItemBytes(heap, 0x1800));
    }

    [Fact]
    public async Task RunTimeShapesRoundTripThroughAStream()
    {
        var sent = Enumerable.Range(0, 5).Select(i => new XengDump((ulong)i * 2048, 128, Vis(i))).ToList();
        var stream = new BytesStream();
        var generator = new HeapWriter<XengDump>(Shapes, flavour: new Flavour(heapAddressBits: 48));
        await stream.SendStartAsync(generator);
        foreach (var value in sent)
        {
            await stream.SendAsync(generator, value);
        }

        await stream.SendEndAsync(generator);

        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(stream.GetValue());
        var reader = new HeapReader<XengDump>(Shapes);
        var received = new List<XengDump>();
        while (await receiver.ReadAsync() is { } heap)
        {
            using (heap)
            {
                if (reader.TryRead(heap, out var value))
                {
                    received.Add(value);
                }
            }
        }

        Assert.Equal(sent.Count, received.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Timestamp, received[i].Timestamp);
            Assert.Equal(sent[i].XengRaw, received[i].XengRaw);
        }
    }

    [Fact]
    public void AReaderWithOtherShapesNamesTheMemberAndBothShapes()
    {
        var generator = new HeapWriter<XengDump>(Shapes);
        var reader = new HeapReader<XengDump>(new SpeadShapes { { nameof(XengDump.XengRaw), 8, Baselines, 2 } });
        var e = Assert.Throws<InvalidDataException>(() => reader.TryRead(ReceiveHelpers.RoundTrip(generator.GetHeap(new XengDump(1, 2, Vis(0)))), out _));
        Assert.Contains("XengDump.XengRaw", e.Message);
        Assert.Contains("shape (4, 40, 2)", e.Message);
        Assert.Contains("shape (8, 40, 2)", e.Message);
    }

    [Fact]
    public void RectangularArraysAndMemoryRoundTrip()
    {
        var shapes = new SpeadShapes { { "XengRaw", 2, 3, 2 }, { "Gains", 3 } };
        var grid = new int[2, 3, 2];
        var n = 0;
        foreach (var i in Enumerable.Range(0, 2))
        {
            foreach (var j in Enumerable.Range(0, 3))
            {
                grid[i, j, 0] = n++;
                grid[i, j, 1] = -n;
            }
        }

        var heap = ReceiveHelpers.RoundTrip(new HeapWriter<XengGrid>(shapes).GetHeap(new XengGrid(5, grid, new[] { 0.5f, 1, 2 })));
        // C order on the wire: the rectangular array's own memory order.
        var expected = new byte[12 * 4];
        var k = 0;
        foreach (var v in grid)
        {
            BinaryPrimitives.WriteInt32LittleEndian(expected.AsSpan(4 * k++), v);
        }

        Assert.Equal(expected, ItemBytes(heap, 0x1800));
        var reader = new HeapReader<XengGrid>(shapes);
        Assert.True(reader.TryRead(heap, out var back));
        Assert.Equal(grid, back.XengRaw);
        Assert.Equal(new[] { 0.5f, 1, 2 }, back.Gains.ToArray());
    }

    [Fact]
    public void FourBitSignedSamplesArePackedMsbFirstLikeSpead2()
    {
        var shapes = new SpeadShapes { { nameof(Feng4.FengRaw), 3, 2 } };
        var samples = new sbyte[] { -8, 7, -1, 0, 3, -4 };
        var generator = new HeapWriter<Feng4>(shapes);
        var heap = ReceiveHelpers.RoundTrip(generator.GetHeap(new Feng4(9, samples)));
        // Two's complement nibbles, first element in the high nibble: -8 = 0x8, 7 = 0x7, -1 = 0xF, 0, 3, -4 = 0xC.
        Assert.Equal(new byte[] { 0x87, 0xF0, 0x3C }, ItemBytes(heap, 0x4300));
        var expected = new Descriptor(0x4300, "feng_raw", "", [3, 2], format: [new FormatField('i', 4)]);
        Assert.Equal(expected.ToRaw(Flavour.Default), generator.Descriptors[1].ToRaw(Flavour.Default));

        var reader = new HeapReader<Feng4>(shapes);
        Assert.True(reader.TryRead(heap, out var back));
        Assert.Equal(samples, back.FengRaw);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => generator.GetHeap(new Feng4(9, [0, 8, 0, 0, 0, 0])));
        Assert.Contains("Feng4.FengRaw", e.Message);
        Assert.Contains("element 1 is 8", e.Message);
    }

    [Fact]
    public void VariableDimensionsOfMultiByteElementsUseBigEndianFormatFields()
    {
        var generator = new HeapWriter<Variable>();
        Assert.Equal(new long[] { -1 }, generator.Descriptors[0].Shape);
        Assert.Equal([new FormatField('i', 32)], generator.Descriptors[0].Format!);
        Assert.Equal([new FormatField('f', 32)], generator.Descriptors[1].Format!);
        Assert.Equal([new FormatField('u', 64)], generator.Descriptors[2].Format!);
        var value = new Variable([1, -2, 0x01020304], [1.5f, -2, 3, 4], null);
        var heap = ReceiveHelpers.RoundTrip(generator.GetHeap(value));
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4 }, ItemBytes(heap, 0x5000));
        var pairs = new byte[16];
        for (var i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteSingleBigEndian(pairs.AsSpan(4 * i), value.Pairs[i]);
        }

        Assert.Equal(pairs, ItemBytes(heap, 0x5001));
        Assert.True(new HeapReader<Variable>().TryRead(heap, out var back));
        Assert.Equal(value.Counts, back.Counts);
        Assert.Equal(value.Pairs, back.Pairs);
        Assert.Null(back.Optional);
        var e = Assert.Throws<ArgumentException>(() => generator.GetHeap(value with { Pairs = [1, 2, 3] }));
        Assert.Contains("Variable.Pairs", e.Message);
        Assert.Contains("multiple of 2", e.Message);
    }

    [Fact]
    public void FortranOrderRectangularArraysAreTransposedAndSwapped()
    {
        var grid = new ushort[,] { { 1, 2, 3 }, { 4, 5, 0x0102 } };
        var generator = new HeapWriter<Fortran>();
        Assert.Equal(ArrayOrder.Fortran, generator.Descriptors[0].Order);
        Assert.Equal(">u2", generator.Descriptors[0].Dtype);
        var heap = ReceiveHelpers.RoundTrip(generator.GetHeap(new Fortran(grid)));
        // Column-major: grid[0,0], grid[1,0], grid[0,1], grid[1,1], grid[0,2], grid[1,2], each big-endian.
        Assert.Equal(new byte[] { 0, 1, 0, 4, 0, 2, 0, 5, 0, 3, 1, 2 }, ItemBytes(heap, 0x6000));
        Assert.True(new HeapReader<Fortran>().TryRead(heap, out var back));
        Assert.Equal(grid, back.Grid);
    }

    [Fact]
    public void ReadingIntoCallerBuffersAllocatesNothing()
    {
        const int channels = 256;
        const int baselines = 512; // 256 * 512 * 2 * 4 bytes = 1 MiB
        var shapes = new SpeadShapes { { nameof(XengDump.XengRaw), channels, baselines, 2 } };
        var vis = Enumerable.Range(0, channels * baselines * 2).ToArray();
        var generator = new HeapWriter<XengDump>(shapes);
        var reader = new HeapReader<XengDump>(shapes);
        var withDescriptors = RoundTripLarge(generator.GetHeap(new XengDump(1, 2, vis)));
        var valuesOnly = RoundTripLarge(generator.GetHeap(new XengDump(3, 4, vis)));
        var buffer = new XengDump(0, 0, new int[vis.Length]);
        var array = buffer.XengRaw;
        Assert.True(reader.TryReadInto(withDescriptors, ref buffer));
        Assert.True(reader.TryReadInto(valuesOnly, ref buffer));

        // The fewest bytes of five rounds: tiered compilation, promoting a method while a round runs, may allocate
        // once on the calling thread (seen about one run in five under the parallel test load); a read that allocates
        // shows in every round.
        var least = long.MaxValue;
        for (var round = 0; round < 5 && least != 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20; i++)
            {
                Assert.True(reader.TryReadInto(valuesOnly, ref buffer));
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
        Assert.Same(array, buffer.XengRaw);
        Assert.Equal(3UL, buffer.Timestamp);
        Assert.Equal(vis, buffer.XengRaw);

        var wrong = new XengDump(0, 0, new int[10]);
        var e = Assert.Throws<ArgumentException>(() => reader.TryReadInto(valuesOnly, ref wrong));
        Assert.Contains("XengDump.XengRaw", e.Message);
        Assert.Contains("10 elements", e.Message);
        var none = new XengDump(0, 0, null!);
        Assert.Throws<ArgumentException>(() => reader.TryReadInto(valuesOnly, ref none));
    }

    private static ReceivedHeap RoundTripLarge(Heap heap)
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        var packets = new Packetizer(heap, 1, 8972);
        var buffer = new byte[9000];
        while (packets.HasNextPacket)
        {
            var n = packets.NextPacket(buffer);
            assembler.AddPacket(buffer.AsSpan(0, n), ready);
        }

        assembler.Flush(ready);
        return Assert.Single(ready);
    }

    [Fact]
    public void TheNewEncodingsReadBackThroughAnItemGroup()
    {
        var shapes = new SpeadShapes { { nameof(Feng4.FengRaw), 3, 2 } };
        var group = new ItemGroup();
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<Feng4>(shapes).GetHeap(new Feng4(9, [-8, 7, -1, 0, 3, -4]))));
        Assert.True(Feng4.TryRead(group, Feng4.Layout.WithShapes(shapes), out var feng, out var error), error);
        Assert.Equal(new sbyte[] { -8, 7, -1, 0, 3, -4 }, feng.FengRaw);

        group = new ItemGroup();
        var variable = new Variable([1, -2, 0x01020304], [1.5f, -2, 3, 4], [ulong.MaxValue]);
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<Variable>().GetHeap(variable)));
        Assert.True(Variable.TryRead(group, out var back, out error), error);
        Assert.Equal(variable.Counts, back.Counts);
        Assert.Equal(variable.Pairs, back.Pairs);
        Assert.Equal(variable.Optional, back.Optional);

        group = new ItemGroup();
        var grid = new ushort[,] { { 1, 2, 3 }, { 4, 5, 0x0102 } };
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<Fortran>().GetHeap(new Fortran(grid))));
        Assert.True(Fortran.TryRead(group, out var fortran, out error), error);
        Assert.Equal(grid, fortran.Grid);

        group = new ItemGroup();
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<XengDump>(Shapes).GetHeap(new XengDump(1, 2, Vis(3)))));
        Assert.True(XengDump.TryRead(group, new HeapWriter<XengDump>(Shapes).Layout, out var xeng, out error), error);
        Assert.Equal(Vis(3), xeng.XengRaw);
    }
}
