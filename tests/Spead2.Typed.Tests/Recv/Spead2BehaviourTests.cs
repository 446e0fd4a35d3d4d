using System.Buffers.Binary;
using System.Text;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

/// <summary>
/// The receive behaviours spead2's own receiver tests check (its test_recv.py, SPEAD-64-48), with
/// packets built here by hand: the same situations must give the same outcome.
/// </summary>
public class Spead2BehaviourTests
{
    private const int Hab = 48;

    private static byte[] FormatDescriptor(long id, string name, string description, (char, int)[] format, long[] shape) =>
        new Descriptor(id, name, description, shape, format: format.Select(f => new FormatField(f.Item1, f.Item2)).ToArray())
            .ToRaw(new Flavour(heapAddressBits: Hab));

    /// <summary>A raw descriptor packet with arbitrary name, description and numpy header bytes.</summary>
    private static byte[] RawDescriptor(long id, byte[] name, byte[] description, byte[] format, byte[] shape, byte[] header)
    {
        var payload = name.Concat(description).Concat(format).Concat(shape).Concat(header).ToArray();
        long a = 0;
        var pointers = new List<ulong>
        {
            Imm(Hab, 0x14, id), Addr(Hab, 0x10, a), Addr(Hab, 0x11, a += name.Length),
            Addr(Hab, 0x13, a += description.Length), Addr(Hab, 0x12, a += format.Length),
        };
        if (header.Length > 0)
            pointers.Add(Addr(Hab, 0x15, a + shape.Length));
        return Packet(Hab, 1, payload.Length, 0, payload, [.. pointers]);
    }

    private static ItemGroup Update(IEnumerable<byte[]> packets, out ItemGroupUpdate update, ReceiveStreamConfig? config = null)
    {
        var heap = Assert.Single(Assemble(packets, config));
        var group = new ItemGroup();
        update = group.Update(heap);
        return group;
    }

    private static object? ValueOf(IReadOnlyList<HeapItem> items, long id)
    {
        var group = Update(Heap(Hab, 1, items), out var update);
        Assert.Empty(update.Errors);
        return group[id].Value;
    }

    [Fact]
    public void ScalarInt() =>
        Assert.Equal(-123456789, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_scalar_int", "a scalar integer", [('i', 32)], [])),
            HeapItem.Addressed(0x1234, Hex.Parse("f8 a4 32 eb"))], 0x1234));

    [Fact]
    public void ScalarIntImmediate() =>
        Assert.Equal(0x12345678u, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_scalar_int", "a scalar integer", [('u', 32)], [])),
            HeapItem.Imm(0x1234, 0x12345678)], 0x1234));

    [Fact]
    public void ImmediateFieldsAsWideAsTheAddressField()
    {
        var group = Update(Heap(Hab, 1, [
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_scalar_uint", "", [('u', 48)], [])),
            HeapItem.Addressed(5, FormatDescriptor(0x1235, "test_scalar_positive", "", [('i', 48)], [])),
            HeapItem.Addressed(5, FormatDescriptor(0x1236, "test_scalar_negative", "", [('i', 48)], [])),
            HeapItem.Imm(0x1234, 0x9234567890AB), HeapItem.Imm(0x1235, 0x1234567890AB), HeapItem.Imm(0x1236, 0x9234567890AB)]), out var update);
        Assert.Empty(update.Errors);
        Assert.Equal(3, group.Count);
        Assert.Equal(0x9234567890ABUL, group[0x1234].Value);
        Assert.Equal(0x1234567890ABL, group[0x1235].Value);
        Assert.Equal(-0x6DCBA9876F55L, group[0x1236].Value);
    }

    [Fact]
    public void String() =>
        Assert.Equal("Hello world", ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_string", "a byte string", [('c', 8)], [-1])),
            HeapItem.Addressed(0x1234, "Hello world"u8.ToArray())], 0x1234));

    [Fact]
    public void FloatArray()
    {
        var bytes = new byte[24];
        for (int i = 0; i < 6; i++)
            BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(4 * i), 1.5f + i);
        Assert.Equal(new[,] { { 1.5f, 2.5f }, { 3.5f, 4.5f }, { 5.5f, 6.5f } }, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_array", "an array of floats", [('f', 32)], [3, 2])),
            HeapItem.Addressed(0x1234, bytes)], 0x1234));
    }

    [Fact]
    public void ArrayOfRecords()
    {
        var bytes = new byte[15];
        (float, sbyte)[] expected = [(1.5f, 1), (2.5f, 2), (4.5f, -4)];
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(5 * i), expected[i].Item1);
            bytes[5 * i + 4] = (byte)expected[i].Item2;
        }
        var value = Assert.IsType<FieldValues[]>(ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_array", "", [('f', 32), ('i', 8)], [3])),
            HeapItem.Addressed(0x1234, bytes)], 0x1234));
        Assert.Equal(expected.Select(e => new FieldValues(e.Item1, e.Item2)), value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NumpyArrayInCAndFortranOrder(bool fortran)
    {
        double[,] expected = { { 1.25, 1.75 }, { 2.25, 2.5 } };
        // Memory order: row by row for C, column by column for Fortran.
        double[] memory = fortran ? [1.25, 2.25, 1.75, 2.5] : [1.25, 1.75, 2.25, 2.5];
        var bytes = memory.SelectMany(BitConverter.GetBytes).ToArray();
        string header = $"{{'descr': '<f8', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': (2, 2)}}";
        var descriptor = RawDescriptor(0x1234, "test_array_numpy"u8.ToArray(), [], [], [], Encoding.ASCII.GetBytes(header));
        Assert.Equal(expected, ValueOf([HeapItem.Addressed(5, descriptor), HeapItem.Addressed(0x1234, bytes)], 0x1234));
    }

    [Fact]
    public void BitPackedFallbacks()
    {
        byte[] packed = Hex.Parse("ab cd ef 12 30");
        Assert.Equal(new ushort[] { 0xABC, 0xDEF, 0x123 }, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "u12", "", [('u', 12)], [3])), HeapItem.Addressed(0x1234, packed)], 0x1234));
        Assert.Equal(new short[] { -1348, -529, 291 }, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "i12", "", [('i', 12)], [3])), HeapItem.Addressed(0x1234, packed)], 0x1234));
        var types = Assert.IsType<FieldValues[]>(ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "mixed", "", [('b', 1), ('i', 7), ('c', 8), ('f', 32)], [2])),
            HeapItem.Addressed(0x1234, Hex.Parse("91 79 3f 80 00 00 69 6e bf 80 00 00"))], 0x1234));
        Assert.Equal([new FieldValues(true, (sbyte)17, 'y', 1.0f), new FieldValues(false, (sbyte)-23, 'n', -1.0f)], types);
        Assert.Equal(0x1234567890ABUL, ValueOf([
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "u48", "", [('u', 48)], [])), HeapItem.Addressed(0x1234, Hex.Parse("12 34 56 78 90 ab"))], 0x1234));
    }

    private static readonly byte[] Payload64 = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();

    /// <summary>
    /// The heap of spead2's reassembly tests, split into packets at the given payload ranges, the
    /// item pointers in the first packet listed (as spead2's test helper does).
    /// </summary>
    private static List<byte[]> Split(long cnt, byte[] payload, params (int Start, int End)[] ranges) =>
        ranges.Select(r => Packet(Hab, cnt, payload.Length, r.Start, payload.AsSpan(r.Start, r.End - r.Start),
            ranges[0] == r ? [Imm(Hab, 0x1600, 12345), Addr(Hab, 0x5000, 0)] : [])).ToList();

    [Fact]
    public void DuplicateItemPointers()
    {
        // Both packets carry both pointers.
        var packets = new[] { (0, 32), (32, 64) }.Select(r => Packet(Hab, 1, 64, r.Item1, Payload64.AsSpan(r.Item1, 32),
            Imm(Hab, 0x1600, 12345), Addr(Hab, 0x5000, 0))).ToList();
        var heap = Assert.Single(Assemble(packets));
        Assert.Equal(2, heap.Items.Count);
        Assert.True(heap.TryGetItem(0x1600, out var imm) && imm.IsImmediate && imm.ImmediateValue == 12345);
        Assert.True(heap.TryGetItem(0x5000, out var data) && !data.IsImmediate);
        Assert.Equal(Payload64, data.Span.ToArray());
    }

    [Fact]
    public void OutOfOrderPackets()
    {
        var heap = Assert.Single(Assemble(Split(1, Payload64, (32, 64), (0, 32)), new ReceiveStreamConfig { AllowOutOfOrder = true }));
        Assert.True(heap.TryGetItem(0x5000, out var data));
        Assert.Equal(Payload64, data.Span.ToArray());
    }

    [Fact]
    public void OutOfOrderDisallowed()
    {
        var heap = Assert.Single(Assemble(Split(1, Payload64, (32, 64), (0, 32)), new ReceiveStreamConfig { DeliverIncompleteHeaps = true }));
        Assert.False(heap.IsComplete);
        Assert.Equal(64, heap.HeapLength);
        Assert.Equal(32, heap.ReceivedLength);
        Assert.Equal([(0L, 32L)], heap.PayloadRanges);
        // spead2 keeps the immediates of an incomplete heap, but here the pointers came with the
        // rejected first packet, so there are none.
        Assert.Empty(heap.Items);
    }

    [Fact]
    public void Substreams()
    {
        // Heap 2 (substream 0) stays open while nine heaps of substream 1 pass: with two
        // substreams they cannot evict it.
        var stream0 = Split(2, Payload64, (0, 32), (32, 64));
        var stream1 = Enumerable.Range(0, 9).SelectMany(i => Split(3 + 2 * i, Payload64, (0, 32), (32, 64))).ToList();
        var packets = stream0.Take(1).Concat(stream1).Concat(stream0.Skip(1)).ToList();
        var heaps = Assemble(packets, new ReceiveStreamConfig { Substreams = 2 });
        Assert.Equal(10, heaps.Count);
        Assert.Equal(2, heaps[^1].Cnt);
        Assert.True(heaps[^1].TryGetItem(0x1600, out var imm) && imm.ImmediateValue == 12345);
        // With one substream the same packets lose heap 2.
        Assert.Equal(9, Assemble(packets).Count);
    }

    [Fact]
    public void IncompleteHeapKeepsImmediatesAndRanges()
    {
        var payload = Enumerable.Range(0, 96).Select(i => (byte)i).ToArray();
        var packets = Split(1, payload, (5, 12), (32, 64));
        var heap = Assert.Single(Assemble(packets, new ReceiveStreamConfig { DeliverIncompleteHeaps = true, AllowOutOfOrder = true }));
        var item = Assert.Single(heap.Items);   // the addressed item is left out
        Assert.Equal(0x1600, item.Id);
        Assert.Equal(96, heap.HeapLength);
        Assert.Equal(39, heap.ReceivedLength);
        Assert.Equal([(5L, 12L), (32L, 64L)], heap.PayloadRanges);
    }

    [Fact]
    public void StartAndEndOfStream()
    {
        Assert.True(Assert.Single(Assemble(Heap(Hab, 1, [HeapItem.Imm(6, 0)]))).IsStartOfStream);
        Assert.False(Assert.Single(Assemble(Heap(Hab, 1, [HeapItem.Imm(6, 1)]))).IsStartOfStream);
        var stop = Assert.Single(Assemble(Heap(Hab, 1, [HeapItem.Imm(6, 2)]), new ReceiveStreamConfig { StopOnStopItem = false }));
        Assert.True(stop.IsEndOfStream);
        Assert.False(stop.IsStartOfStream);
    }

    [Fact]
    public void NoStopOnStopItem()
    {
        var packets = Heap(Hab, 1, [HeapItem.Imm(6, 2)]).Concat(Heap(Hab, 2, [
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_string", "a byte string", [('c', 8)], [-1])),
            HeapItem.Addressed(0x1234, "Hello world"u8.ToArray())]));
        var heaps = Assemble(packets, new ReceiveStreamConfig { StopOnStopItem = false });
        Assert.Equal(2, heaps.Count);
        var group = new ItemGroup();
        group.Update(heaps[0]);
        group.Update(heaps[1]);
        Assert.Equal("Hello world", group["test_string"].Value);
    }

    [Fact]
    public void SizeMismatchIsAnError()
    {
        Update(Heap(Hab, 1, [
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "bad", "an item with insufficient data", [('u', 32)], [5, 5])),
            HeapItem.Addressed(0x1234, new byte[99])]), out var update);
        Assert.Single(update.Errors);
        Assert.Throws<InvalidDataException>(update.ThrowIfErrors);
    }

    [Theory]
    [InlineData("{'descr': 'S1'")]
    [InlineData("123")]
    [InlineData("import os")]
    [InlineData("{'descr': 'S1'}")]
    [InlineData("{'descr': 'S1', 'fortran_order': False, 'shape': (), 'foo': 'bar'}")]
    [InlineData("{'descr': 'S1', 'fortran_order': False, 'shape': (-1,)}")]
    [InlineData("{'descr': 1, 'fortran_order': False, 'shape': ()}")]
    [InlineData("{'descr': '+-', 'fortran_order': False, 'shape': ()}")]
    [InlineData("{'descr': 'S1', 'fortran_order': 0, 'shape': ()}")]
    [InlineData("{'descr': 'S1', 'fortran_order': False, 'shape': (None,)}")]
    [InlineData("{'descr': '<U0', 'fortran_order': False, 'shape': (5,)}")]   // zero-size dtype
    public void MalformedNumpyHeadersAreErrors(string header)
    {
        var group = Update(Heap(Hab, 1, [HeapItem.Addressed(5,
            RawDescriptor(0x1234, "name"u8.ToArray(), "description"u8.ToArray(), [], [], Encoding.ASCII.GetBytes(header)))]), out var update);
        Assert.Single(update.Errors);
        Assert.Empty(group);
    }

    [Fact]
    public void NonAsciiValueNameAndDescriptionAreErrors()
    {
        Update(Heap(Hab, 1, [
            HeapItem.Addressed(5, FormatDescriptor(0x1234, "test_string", "a byte string", [('c', 8)], [-1])),
            HeapItem.Addressed(0x1234, Encoding.UTF8.GetBytes("\u0200"))]), out var value);
        Assert.Single(value.Errors);
        var c8 = Hex.Parse("63 00 08");
        var variable = Hex.Parse("01 00 00 00 00 00 00");
        Update(Heap(Hab, 1, [HeapItem.Addressed(5, RawDescriptor(0x1234, [0xef], "d"u8.ToArray(), c8, variable, []))]), out var name);
        Assert.Single(name.Errors);
        Update(Heap(Hab, 1, [HeapItem.Addressed(5, RawDescriptor(0x1234, "n"u8.ToArray(), [0xef], c8, variable, []))]), out var description);
        Assert.Single(description.Errors);
    }

    [Fact]
    public void NoHeapSizeWithTheItemAmongTheSpecials()
    {
        var payload = Enumerable.Range(0, 96).Select(i => (byte)i).ToArray();
        var p1 = Packet(Hab, [Imm(Hab, 1, 1), Addr(Hab, 0x1000, 0), Imm(Hab, 3, 0), Imm(Hab, 4, 64)], payload.AsSpan(0, 64));
        var p2 = Packet(Hab, [Imm(Hab, 1, 1), Imm(Hab, 3, 64), Imm(Hab, 4, 32)], payload.AsSpan(64));
        var heap = Assert.Single(Assemble([p1, p2]));
        Assert.Equal(payload, Assert.Single(heap.Items).Span.ToArray());

        Assert.Empty(Assemble([p1], new ReceiveStreamConfig { AllowUnsizedHeaps = false }, out var strict));
        Assert.Equal(1, strict.Statistics.RejectedPackets);
    }

    [Fact]
    public void OffsetPastTheHeapDropsIt()
    {
        var packet = Packet(Hab, [Imm(Hab, 1, 1), Imm(Hab, 2, 64), Imm(Hab, 3, 0), Imm(Hab, 4, 64), Addr(Hab, 0x1000, 65)], new byte[64]);
        Assert.Empty(Assemble([packet]));
    }
}
