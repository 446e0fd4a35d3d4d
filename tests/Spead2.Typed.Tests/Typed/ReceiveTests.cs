using System.Net;
using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

// Records that read the Dump stream (IDs 0x1600, 0x1800, 0x1801) with one thing changed each.
public partial record DumpAsDoubles(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] double[] Vis,
    [SpeadItem(0x1801)] string Source);

public partial record DumpFlat(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 8 })] float[] Vis,
    [SpeadItem(0x1801)] string Source);

public partial record DumpNarrow(
    [SpeadItem(0x1600, Bits = 40)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801)] string Source);

public partial record DumpRenamed(
    [SpeadItem(0x1600, Name = "time", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801)] string Source);

public partial record DumpWithGain(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801)] string Source,
    [SpeadItem(0x1802)] float Gain);

public partial record DumpWithNote(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] float[] Vis,
    [SpeadItem(0x1801)] string Source,
    [SpeadItem(0x1803)] string? Note);

/// <summary>Scalars only, as a struct: reading one allocates nothing.</summary>
public readonly partial record struct Sensor(
    [SpeadItem(0x4000)] ulong Time,
    [SpeadItem(0x4001)] float Temperature,
    [SpeadItem(0x4002, Bits = 12)] short Code,
    [SpeadItem(0x4003)] Complex Phasor,
    [SpeadItem(0x4004)] Half Gain,
    [SpeadItem(0x4005)] bool Ok,
    [SpeadItem(0x4006)] double Elevation);

/// <summary>A positional parameter that is not an item: the generator cannot build one from items.</summary>
public partial record HalfItems([SpeadItem(0x1600, Bits = 48)] ulong Timestamp, int Local);

/// <summary>
/// The decode side: typed records sent by our senders come back equal through <c>ReadAllAsync</c> and both
/// <c>TryRead</c> overloads, and a sender whose schema differs gives an error naming the member and the difference.
/// </summary>
public class ReceiveTests
{
    private static Everything Sample(int i) => new(
        U8: (byte)(201 + i), I8: -101, I16: -30001, U16: 60001, I32: -2_000_000_001 + i, U32: 4_000_000_001, I64: long.MinValue + 3,
        U64: ulong.MaxValue - (ulong)i, I12: -2047 + i, U40: 0x01_0203_0405, Flag: i % 2 == 0, F32: 1.5f * i, F64: -2.25, F16: (Half)0.5,
        C128: new Complex(1, -2 * i), Mode: Mode.Scan, Band: "L-001", Comment: new string('c', i + 1), Counts: new[] { 1, -2, i },
        Weights: new[] { 0.25, 0.5 * i }, Raw: [1, 2, (byte)i], Payload: new byte[] { 9, 8, 7, 6 }[..(i % 5)], Rows: [-1, 2, -3, (sbyte)i],
        Spectrum: [new Complex(1, 2), new Complex(3, i)], Flags: [true, false, i > 0], Halves: [(Half)1, (Half)(-i)],
        History: [Mode.Idle, (Mode)(i % 3)], Tiny: [7u + (uint)i]);

    private static void AssertEqual(Everything expected, Everything actual)
    {
        // Records compare arrays and memory by reference; compare their contents instead.
        Assert.Equal(expected with
        {
            Counts = default,
            Weights = default,
            Raw = null!,
            Payload = default,
            Rows = null!,
            Spectrum = null!,
            Flags = null!,
            Halves = null!,
            History = null!,
            Tiny = null!,
        }, actual with
        {
            Counts = default,
            Weights = default,
            Raw = null!,
            Payload = default,
            Rows = null!,
            Spectrum = null!,
            Flags = null!,
            Halves = null!,
            History = null!,
            Tiny = null!,
        });
        Assert.Equal(expected.Counts.ToArray(), actual.Counts.ToArray());
        Assert.Equal(expected.Weights.ToArray(), actual.Weights.ToArray());
        Assert.Equal(expected.Raw, actual.Raw);
        Assert.Equal(expected.Payload.ToArray(), actual.Payload.ToArray());
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Spectrum, actual.Spectrum);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.Halves, actual.Halves);
        Assert.Equal(expected.History, actual.History);
        Assert.Equal(expected.Tiny, actual.Tiny);
    }

    private static async Task<byte[]> SendAsync<T>(IEnumerable<T> values, Flavour? flavour = null, int? descriptorFrequency = null)
        where T : ISpeadHeap<T>
    {
        var stream = new BytesStream();
        var generator = new HeapWriter<T>(descriptorFrequency, flavour);
        await stream.SendStartAsync(generator);
        foreach (var value in values)
        {
            await stream.SendAsync(generator, value);
        }

        await stream.SendEndAsync(generator);
        return stream.GetValue();
    }

    private static async Task<List<T>> ReceiveAsync<T>(byte[] bytes)
        where T : ISpeadHeap<T>
    {
        await using var stream = new ReceiveStream();
        stream.AddBufferReader(bytes);
        var result = new List<T>();
        await foreach (var value in stream.ReadAllAsync<T>())
        {
            result.Add(value);
        }

        return result;
    }

    private static Task<List<T>> ReceiveDumpsAsAsync<T>()
        where T : ISpeadHeap<T> =>
        SendAsync([new Dump(0x1234_5678_9ABC, [1, 2, 3, 4, 5, 6, 7, 8], "3C273")]).ContinueWith(t => ReceiveAsync<T>(t.Result)).Unwrap();

    [Theory]
    [InlineData(40, null)]
    [InlineData(48, null)]
    [InlineData(40, 2)]
    [InlineData(48, 3)]
    public async Task EveryKindRoundTripsThroughReadAllAsync(int heapAddressBits, int? descriptorFrequency)
    {
        var sent = Enumerable.Range(0, 4).Select(Sample).ToList();
        var bytes = await SendAsync(sent, new Flavour(4, 64, heapAddressBits), descriptorFrequency);

        var received = await ReceiveAsync<Everything>(bytes);

        Assert.Equal(sent.Count, received.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            AssertEqual(sent[i], received[i]);
        }
    }

    [Fact]
    public async Task TheItemGroupPathReadsTheSameValues()
    {
        var sent = Enumerable.Range(0, 3).Select(Sample).ToList();
        await using var stream = new ReceiveStream();
        stream.AddBufferReader(await SendAsync(sent));
        var group = new ItemGroup();
        var received = new List<Everything>();
        await foreach (var heap in stream)
        {
            using (heap)
            {
                if (group.Update(heap).Updated.Count > 0)
                {
                    Assert.True(Everything.TryRead(group, out var value, out var error), error);
                    received.Add(value);
                }
            }
        }

        Assert.Equal(sent.Count, received.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            AssertEqual(sent[i], received[i]);
        }
    }

    [Fact]
    public void TheItemGroupPathKeepsValuesASenderDidNotResend()
    {
        // spead2's data='stale': the second heap carries only the timestamp; the group remembers the rest.
        var group = new ItemGroup();
        var generator = new HeapWriter<Dump>();
        group.Update(ReceiveHelpers.RoundTrip(generator.GetHeap(new Dump(1, [1, 2, 3, 4, 5, 6, 7, 8], "first"))));
        var timestampOnly = new Heap();
        SpeadCodec.AddUnsigned(timestampOnly, 0x1600, 2, 48);
        group.Update(ReceiveHelpers.RoundTrip(timestampOnly));

        Assert.True(Dump.TryRead(group, out var value, out var error), error);
        Assert.Equal(2UL, value.Timestamp);
        Assert.Equal("first", value.Source);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], value.Vis);

        // The raw-heap path needs every item in the heap, and says which one is missing.
        Assert.False(Dump.TryRead(ReceiveHelpers.RoundTrip(timestampOnly), group, out _, out error));
        Assert.Equal("Dump.Vis: item 'vis' (0x1800) is missing: the heap carries no value for it.", error);
    }

    [Fact]
    public void ReadArraysAreCopiesNotTheGroupsValues()
    {
        var group = new ItemGroup();
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<Dump>().GetHeap(new Dump(1, [1, 2, 3, 4, 5, 6, 7, 8], "x"))));
        Assert.True(Dump.TryRead(group, out var first, out _));
        first.Vis[0] = 100;
        Assert.True(Dump.TryRead(group, out var second, out _));
        Assert.Equal(1f, second.Vis[0]);
    }

    [Fact]
    public async Task RecordStructWithAPropertyItemRoundTrips()
    {
        var sent = new[] { new Tick(1) { Label = "one" }, new Tick(ulong.MaxValue) { Label = "x" } };
        Assert.Equal(sent, await ReceiveAsync<Tick>(await SendAsync(sent)));
    }

    [Fact]
    public async Task EmptyVariableItemsReadAsEmpty()
    {
        // The receiver drops zero-length items, so an empty string or array arrives as no item at all: a
        // non-nullable member reads it as empty, a nullable one cannot tell it from null.
        var dumps = await ReceiveAsync<Dump>(await SendAsync([new Dump(1, new float[8], "")]));
        Assert.Equal("", Assert.Single(dumps).Source);
        var ticks = await ReceiveAsync<Tick>(await SendAsync([new Tick(1) { Label = "" }]));
        Assert.Null(Assert.Single(ticks).Label);
    }

    [Fact]
    public async Task ANullableMemberWhoseItemIsMissingReadsAsNull()
    {
        // A null string is not sent at all; its nullable member reads back as null.
        var sent = new[] { new Tick(1) { Label = null }, new Tick(2) { Label = "two" } };
        Assert.Equal(sent, await ReceiveAsync<Tick>(await SendAsync(sent)));

        // Also when the sender never described it.
        var notes = await ReceiveDumpsAsAsync<DumpWithNote>();
        Assert.Null(Assert.Single(notes).Note);
    }

    [Fact]
    public async Task AWrongDtypeIsAClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(ReceiveDumpsAsAsync<DumpAsDoubles>);
        Assert.Equal(
            $"DumpAsDoubles.Vis: item 'vis' (0x1800): the sender describes it as dtype {Native('f', 4)}, shape (4, 2), " +
            $"but the record declares dtype {Native('f', 8)}, shape (4, 2) (dtype {Native('f', 4)} instead of {Native('f', 8)}).",
            e.Message);
    }

    [Fact]
    public async Task AWrongShapeIsAClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(ReceiveDumpsAsAsync<DumpFlat>);
        Assert.StartsWith("DumpFlat.Vis: item 'vis' (0x1800): ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(shape (4, 2) instead of (8,)).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongBitsWidthIsAClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(ReceiveDumpsAsAsync<DumpNarrow>);
        Assert.Equal(
            "DumpNarrow.Timestamp: item 'timestamp' (0x1600): the sender describes it as format [('u', 48)], shape (), " +
            "but the record declares format [('u', 40)], shape () (format [('u', 48)] instead of [('u', 40)]).",
            e.Message);
    }

    [Fact]
    public async Task AnotherNameIsAClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(ReceiveDumpsAsAsync<DumpRenamed>);
        Assert.StartsWith("DumpRenamed.Timestamp: item 'time' (0x1600): ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(name 'timestamp' instead of 'time').", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingItemIsAClearError()
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(ReceiveDumpsAsAsync<DumpWithGain>);
        Assert.Equal("DumpWithGain.Gain: item 'gain' (0x1802) is missing: no descriptor for it has been received.", e.Message);
    }

    [Fact]
    public void TheItemGroupPathReportsMismatchesToo()
    {
        var group = new ItemGroup();
        group.Update(ReceiveHelpers.RoundTrip(new HeapWriter<Dump>().GetHeap(new Dump(1, new float[8], "x"))));

        Assert.True(Dump.TryRead(group, out _, out _));
        Assert.False(DumpNarrow.TryRead(group, out _, out var error));
        Assert.Contains("format [('u', 48)] instead of [('u', 40)]", error, StringComparison.Ordinal);
        Assert.False(DumpAsDoubles.TryRead(group, out _, out error));
        Assert.Contains("instead of " + Native('f', 8), error, StringComparison.Ordinal);
        Assert.False(DumpWithGain.TryRead(group, out _, out error));
        Assert.Contains("DumpWithGain.Gain: item 'gain' (0x1802) is missing", error, StringComparison.Ordinal);

        // Described but never given a value.
        group.Add(new Item(DumpWithGain.Descriptors[3]));
        Assert.False(DumpWithGain.TryRead(group, out _, out error));
        Assert.Equal("DumpWithGain.Gain: item 'gain' (0x1802) is missing: no value for it has been received.", error);
    }

    [Fact]
    public void ABigEndianDtypeFromAnUntypedSenderIsSwapped()
    {
        // A numpy sender on a big-endian machine (or with an explicit '>f4') describes the same values.
        var items = new ItemGroup();
        items.AddItem(0x1600, "timestamp", "", [], format: [new FormatField('u', 48)], value: 77UL);
        items.AddItem(0x1800, "vis", "", [4, 2], dtype: ">f4", value: new float[,] { { 1, -2 }, { 3, 4.5f }, { 5, 6 }, { 7, 8 } });
        items.AddItem(0x1801, "source", "", [-1], format: [new FormatField('c', 8)], value: "big");
        var heap = new Spead2.Send.HeapGenerator(items).GetHeap();

        var descriptors = new ItemGroup();
        var received = ReceiveHelpers.RoundTrip(heap);
        foreach (var d in received.GetDescriptors())
        {
            descriptors.Add(new Item(d));
        }

        Assert.True(Dump.TryRead(received, descriptors, out var value, out var error), error);
        Assert.Equal(77UL, value.Timestamp);
        Assert.Equal([1f, -2, 3, 4.5f, 5, 6, 7, 8], value.Vis);
        Assert.Equal("big", value.Source);
    }

    [Fact]
    public void TooFewBytesAndAnotherMemoryOrderAreClearErrors()
    {
        var descriptors = new ItemGroup();
        foreach (var d in Dump.Descriptors)
        {
            descriptors.Add(new Item(d));
        }

        var heap = new Heap();
        SpeadCodec.AddUnsigned(heap, 0x1600, 1, 48);
        heap.AddItem(0x1800, new byte[16]);   // 4 floats where the shape needs 8
        SpeadCodec.AddString(heap, 0x1801, "x", -1);
        Assert.False(Dump.TryRead(ReceiveHelpers.RoundTrip(heap), descriptors, out _, out var error));
        Assert.Equal("Dump.Vis: item 'vis' (0x1800): the value has 16 bytes, too few for its 8 elements.", error);

        descriptors.Add(new Item(0x1800, "vis", "", [4, 2], dtype: Native('f', 4), order: ArrayOrder.Fortran));
        Assert.False(Dump.TryRead(ReceiveHelpers.RoundTrip(heap), descriptors, out _, out error));
        Assert.EndsWith("(Fortran order instead of C order).", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ATypeThatCannotBeBuiltFromItemsSaysWhy()
    {
        // SPEAD0017 reports this read at compile time; the run-time message is for builds without the analyzers.
#pragma warning disable SPEAD0017
        Assert.False(HalfItems.TryRead(new ItemGroup(), out _, out var error));
#pragma warning restore SPEAD0017
        Assert.Equal("Spead2.Typed cannot build HalfItems from received items: its positional parameter 'Local' is not a [SpeadItem].", error);
    }

    [Fact]
    public async Task HeapsWithoutValuesAreSkippedAndTheStreamEnds()
    {
        // Start, descriptor-only and stop heaps give no records; the end of the stream ends the loop.
        var stream = new BytesStream();
        var generator = new HeapWriter<Dump>();
        await stream.SendStartAsync(generator);
        var descriptorsOnly = new Heap();
        generator.AddDescriptorsToHeap(descriptorsOnly);
        stream.SendHeap(descriptorsOnly);
        await stream.SendAsync(generator, new Dump(5, new float[8], "x"));
        await stream.SendEndAsync(generator);

        var received = await ReceiveAsync<Dump>(stream.GetValue());
        Assert.Equal(5UL, Assert.Single(received).Timestamp);
    }

    [Fact]
    public void AReceiverJoiningLateWaitsForTheNextDescriptors()
    {
        var generator = new HeapWriter<Dump>(descriptorFrequency: 3);
        var heaps = Enumerable.Range(0, 5).Select(i => ReceiveHelpers.RoundTrip(generator.GetHeap(new Dump((ulong)i, new float[8], "x")))).ToList();
        var reader = new HeapReader<Dump>();
        var read = new List<ulong>();
        foreach (var heap in heaps.Skip(1))   // missed the first heap and its descriptors
        {
            if (reader.TryRead(heap, out var value))
            {
                read.Add(value.Timestamp);
            }
        }

        Assert.Equal([3UL, 4UL], read);   // descriptors are resent with heap 3
        Assert.Equal(2, reader.HeapsBeforeDescriptors);
    }

    [Fact]
    public void ReadAllAsyncChecksItsArgumentAtOnce() =>
        Assert.Throws<ArgumentNullException>(() => TypedReceiveExtensions.ReadAllAsync<Dump>(null!));

    [Fact]
    public async Task RecordsComeBackOverUdpLoopback()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
        await using var receiver = new ReceiveStream();
        var reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var sent = Enumerable.Range(0, 5).Select(Sample).ToList();

        var receiving = Task.Run(async () =>
        {
            var result = new List<Everything>();
            await foreach (var value in receiver.ReadAllAsync<Everything>(timeout.Token))
            {
                result.Add(value);
            }

            return result;
        });

        await using (var sender = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port, new StreamConfig { Rate = 50e6 }))
        {
            var generator = new HeapWriter<Everything>();
            await sender.SendStartAsync(generator);
            foreach (var value in sent)
            {
                await sender.SendAsync(generator, value);
            }

            await sender.SendEndAsync(generator);   // the stop item ends the receiver's loop
        }

        var received = await receiving;
        Assert.Equal(sent.Count, received.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            AssertEqual(sent[i], received[i]);
        }
    }

    [Fact]
    public void ReadingScalarsFromAHeapAllocatesNothing()
    {
        var generator = new HeapWriter<Sensor>();
        var value = new Sensor(1UL << 50, -3.5f, -2000, new Complex(0.5, -1), (Half)2, true, 45.25);
        var reader = new HeapReader<Sensor>();
        Assert.True(reader.TryRead(ReceiveHelpers.RoundTrip(generator.GetHeap(value)), out var first));   // with descriptors
        Assert.Equal(value, first);
        var valuesOnly = ReceiveHelpers.RoundTrip(generator.GetHeap(value));
        Assert.True(reader.TryRead(valuesOnly, out var second));
        Assert.Equal(value, second);

        // The fewest bytes of five rounds (tiered compilation may allocate once on this thread while a round runs;
        // a read that allocates shows in every round).
        var least = long.MaxValue;
        for (var round = 0; round < 5 && least != 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                reader.TryRead(valuesOnly, out second);
                Sensor.TryRead(valuesOnly, reader.Descriptors, out second, out _);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
        Assert.Equal(value, second);
    }

    private static string Native(char kind, int size) => SpeadCodec.NativeDtype(kind, size);
}
