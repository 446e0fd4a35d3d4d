using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class ValueDecodingTests
{
    private static Descriptor D(long[] shape, string? dtype = null, FormatField[]? format = null, ArrayOrder order = ArrayOrder.C) =>
        new(0x1000, "v", "", shape, dtype, order, format);

    private static FormatField[] F(params (char, int)[] fields) => fields.Select(f => new FormatField(f.Item1, f.Item2)).ToArray();

    // Protocol notes §5.5: immediates in SPEAD-64-40 (5 value bytes, right-aligned).
    [Fact]
    public void DocumentedImmediates()
    {
        Assert.Equal((ushort)0x1234, ItemValueDecoder.Decode(D([], "<u2"), Hex.Parse("00 00 00 34 12"), true));
        Assert.Equal((ushort)0x1234, ItemValueDecoder.Decode(D([], ">u2"), Hex.Parse("00 00 00 12 34"), true));
        Assert.Equal(1.0f, ItemValueDecoder.Decode(D([], "<f4"), Hex.Parse("00 00 00 80 3f"), true));
        Assert.Equal(new uint[] { 7 }, ItemValueDecoder.Decode(D([1], "<u4"), Hex.Parse("00 07 00 00 00"), true));
        Assert.Equal(new byte[] { 1, 2 }, ItemValueDecoder.Decode(D([2], "u1"), Hex.Parse("00 00 00 01 02"), true));
        Assert.Equal(0xdeadbeefu, ItemValueDecoder.Decode(D([], format: F(('u', 32))), Hex.Parse("00 de ad be ef"), true));
        Assert.Equal((short)-2, ItemValueDecoder.Decode(D([], format: F(('i', 16))), Hex.Parse("00 00 00 ff fe"), true));
        Assert.Equal(0x0102030405UL, ItemValueDecoder.Decode(D([], format: F(('u', 40))), Hex.Parse("01 02 03 04 05"), true));
        Assert.Equal("hello", ItemValueDecoder.Decode(D([5], format: F(('c', 8))), Hex.Parse("68 65 6c 6c 6f"), true));
    }

    [Fact]
    public void DocumentedAddressedValues()
    {
        Assert.Equal(1UL, ItemValueDecoder.Decode(D([], "<u8"), Hex.Parse("01 00 00 00 00 00 00 00"), false));
        Assert.Equal(1UL, ItemValueDecoder.Decode(D([], format: F(('u', 48))), Hex.Parse("00 00 00 00 00 01"), false));
        Assert.Equal((ushort)0xabc, ItemValueDecoder.Decode(D([], format: F(('u', 12))), Hex.Parse("ab c0"), false));
        Assert.Equal("hi", ItemValueDecoder.Decode(D([-1], format: F(('c', 8))), Hex.Parse("68 69"), false));
        Assert.Equal(1.5, ItemValueDecoder.Decode(D([], format: F(('f', 64))), Hex.Parse("3f f8 00 00 00 00 00 00"), false));
    }

    // Protocol notes §5.3.
    [Fact]
    public void DocumentedFormatPacking()
    {
        Assert.Equal(new FieldValues((byte)12, 1.5f),
            ItemValueDecoder.Decode(D([], format: F(('u', 8), ('f', 32))), Hex.Parse("0c 3f c0 00 00"), false));
        Assert.Equal(new FieldValues(true, (sbyte)17, 'y', 1.0f),
            ItemValueDecoder.Decode(D([], format: F(('b', 1), ('i', 7), ('c', 8), ('f', 32))), Hex.Parse("91 79 3f 80 00 00"), false));
        Assert.Equal(new byte[] { 127, 12, 123 }, ItemValueDecoder.Decode(D([3], format: F(('u', 7))), Hex.Parse("fe 33 d8"), false));
    }

    [Fact]
    public void WorkedExampleAComesBackAsAUshortMatrix()
    {
        // §3.7: 64-48, item 0x2345 with its descriptor and value [[6,7,8],[10,11,12000]] as <u2.
        var flavour = new Flavour(heapAddressBits: 48);
        var items = new SendItemGroup(flavour: flavour);
        items.AddItem(0x2345, "name", "description", [2, 3], dtype: "uint16", value: new ushort[,] { { 6, 7, 8 }, { 10, 11, 12000 } });
        var stream = new BytesStream(new Spead2.Send.StreamConfig { MaxPacketSize = 1500 });
        stream.SendHeap(items.GetHeap(), 0x123456);
        var wire = stream.GetValue();
        Assert.Equal(242, wire.Length);
        var heap = Assert.Single(Assemble([wire]));
        Assert.Equal(0x123456, heap.Cnt);
        var group = new ItemGroup();
        var update = group.Update(heap);
        Assert.Empty(update.Errors);
        var item = group["name"];
        Assert.Equal(0x2345, item.Id);
        Assert.Equal("description", item.Description);
        Assert.Equal(new ushort[,] { { 6, 7, 8 }, { 10, 11, 12000 } }, item.Value);
        Assert.Same(item, Assert.Single(update.Updated));
    }

    [Fact]
    public void FortranOrderRestoresIndices()
    {
        // Column-major bytes of [[1,2,3],[4,5,6]]: 1 4 2 5 3 6.
        var raw = new byte[] { 1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6, 0 };
        var value = ItemValueDecoder.Decode(D([2, 3], "<i2", order: ArrayOrder.Fortran), raw, false);
        Assert.Equal(new short[,] { { 1, 2, 3 }, { 4, 5, 6 } }, value);
        var c = ItemValueDecoder.Decode(D([2, 3], "<i2"), raw, false);
        Assert.Equal(new short[,] { { 1, 4, 2 }, { 5, 3, 6 } }, c);
    }

    [Fact]
    public void EveryDtypeBothByteOrders()
    {
        Assert.Equal(new[] { true, false, true }, ItemValueDecoder.Decode(D([3], "|b1"), [1, 0, 2], false));
        Assert.Equal(new sbyte[] { -1, 2 }, ItemValueDecoder.Decode(D([2], "|i1"), [0xff, 2], false));
        Assert.Equal(new short[] { -2 }, ItemValueDecoder.Decode(D([1], ">i2"), [0xff, 0xfe], false));
        Assert.Equal(new short[] { -2 }, ItemValueDecoder.Decode(D([1], "<i2"), [0xfe, 0xff], false));
        Assert.Equal(-2, ItemValueDecoder.Decode(D([], ">i4"), [0xff, 0xff, 0xff, 0xfe], false));
        Assert.Equal(-2L, ItemValueDecoder.Decode(D([], "<i8"), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], false));
        Assert.Equal(0x0102030405060708UL, ItemValueDecoder.Decode(D([], ">u8"), [1, 2, 3, 4, 5, 6, 7, 8], false));
        Assert.Equal(0x04030201u, ItemValueDecoder.Decode(D([], "<u4"), [1, 2, 3, 4], false));
        Assert.Equal((Half)1.5, ItemValueDecoder.Decode(D([], "<f2"), [0x00, 0x3e], false));
        Assert.Equal(-2.0, ItemValueDecoder.Decode(D([], ">f8"), [0xc0, 0, 0, 0, 0, 0, 0, 0], false));
        Assert.Equal(new Complex(1, -2), ItemValueDecoder.Decode(D([], "<c8"), [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0], false));
        Assert.Equal(new Complex(1, -2), ItemValueDecoder.Decode(D([], ">c16"),
            [0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0], false));
        Assert.Equal((byte)'x', ItemValueDecoder.Decode(D([], "|S1"), "x"u8.ToArray(), false));
        Assert.Equal(new[] { "ab", "cde" }, ItemValueDecoder.Decode(D([2], "|S3"), "ab\0cde"u8.ToArray(), false));
    }

    [Fact]
    public void VariableDimensionTakesWholeRowsAndExtraBytesAreIgnored()
    {
        var value = ItemValueDecoder.Decode(D([-1, 2], format: F(('u', 8))), [1, 2, 3, 4, 5], false);
        Assert.Equal(new byte[,] { { 1, 2 }, { 3, 4 } }, value);
        Assert.Equal(new byte[] { 1, 2 }, ItemValueDecoder.Decode(D([2], "u1"), [1, 2, 3], false));
        // A zero fixed dimension makes the variable one 0 too (spead2's dynamic_shape).
        var empty = Assert.IsType<byte[,]>(ItemValueDecoder.Decode(D([-1, 0], format: F(('u', 8))), [1, 2], false));
        Assert.Equal(0, empty.GetLength(0));
    }

    [Fact]
    public void VariableBitPackedItemsReadPaddingAsElements()
    {
        // One 2-bit element sent with shape (None,) is one byte on the wire; like spead2's
        // receiver (max_elements = bytes * 8 // bits), we read four elements back.
        var sent = new Item(0x1000, "v", "", [-1], format: F(('u', 2)), value: new byte[] { 3 });
        Assert.Equal(new byte[] { 3, 0, 0, 0 }, ItemValueDecoder.Decode(sent, sent.ToBuffer(), false));
    }

    [Fact]
    public void ZeroSizeImmediateIsEmptyNotAnError()
    {
        // spead2's Python receiver fails on this (trap T15); there is no reason to copy that.
        Assert.Equal(Array.Empty<byte>(), ItemValueDecoder.Decode(D([0], "u1"), [0, 0, 0, 0, 0], true));
    }

    [Fact]
    public void TooFewBytesIsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => ItemValueDecoder.Decode(D([3], "<u4"), new byte[11], false));
        Assert.Throws<InvalidDataException>(() => ItemValueDecoder.Decode(D([], format: F(('u', 12))), new byte[1], false));
        Assert.Throws<InvalidDataException>(() => ItemValueDecoder.Decode(D([1L << 40, 1L << 40], "u1"), new byte[1], false));
        Assert.Throws<InvalidDataException>(() => ItemValueDecoder.Decode(D([-1], format: F(('u', 1))), new byte[1 << 28], false));
        Assert.Throws<InvalidDataException>(() => ItemValueDecoder.Decode(D([2], format: F(('c', 8))), [0xe9, 0x41], false));
        var item = new ReceivedItem(0x1000, false, 0, new byte[3]);
        Assert.False(ItemValueDecoder.TryDecode(D([], "<u4"), item, out _, out var error));
        Assert.Contains("too few", error);
    }

    [Fact]
    public void GetValueBytesHonoursImmediateAlignment()
    {
        var imm = new ReceivedItem(0x1000, true, 0x1234, new byte[] { 0, 0, 0, 0x34, 0x12 });
        Assert.Equal(new byte[] { 0x34, 0x12 }, ItemValueDecoder.GetValueBytes(D([], "<u2"), imm, out long n).ToArray());
        Assert.Equal(1, n);
        var addr = new ReceivedItem(0x1000, false, 0, new byte[] { 1, 2, 3, 4, 5 });
        Assert.Equal(new byte[] { 1, 2 }, ItemValueDecoder.GetValueBytes(D([], ">u2"), addr, out _).ToArray());
        // Three 12-bit elements fit in 5 bytes (36 bits), so all 5 bytes are value bytes.
        Assert.Equal(5, ItemValueDecoder.GetValueBytes(D([-1], format: F(('u', 12))), addr, out n).Length);
        Assert.Equal(3, n);
    }
}

public class TypedReadHelperTests
{
    [Fact]
    public void CopyElementsSwapsOnlyForeignByteOrder()
    {
        var item = new Item(0x1000, "v", "", [3], dtype: ">u2", value: new ushort[] { 1, 0x1234, 0xFFFE });
        var heap = Assert.Single(ReceiveHelpers.Assemble(RefEncoder.Heap(40, 1, [RefEncoder.HeapItem.Addressed(0x1000, item.ToBuffer())])));
        Assert.True(heap.TryGetItem(0x1000, out var received));
        var bytes = ItemValueDecoder.GetValueBytes(item, received, out long n);
        Span<ushort> values = stackalloc ushort[(int)n];
        ItemValueDecoder.CopyElements(bytes, values, bigEndian: true);
        Assert.Equal(new ushort[] { 1, 0x1234, 0xFFFE }, values.ToArray());
        ItemValueDecoder.CopyElements(bytes, values, bigEndian: false);
        Assert.Equal(new ushort[] { 0x100, 0x3412, 0xFEFF }, values.ToArray());
        var copy = bytes.ToArray();
        Assert.Throws<ArgumentException>(() => ItemValueDecoder.CopyElements(copy, new ushort[2], true));
        Assert.Throws<ArgumentException>(() => ItemValueDecoder.CopyElements(new byte[16], new decimal[1], true));
    }

    [Fact]
    public void BitFieldReaderReadsPackedFields()
    {
        // §5.3: [('b',1),('i',7),('c',8),('f',32)] with (True, 17, 'y', 1.0).
        var reader = new BitFieldReader(Hex.Parse("91 79 3f 80 00 00"));
        Assert.Equal(1UL, reader.ReadUInt64(1));
        Assert.Equal(17L, reader.ReadInt64(7));
        Assert.Equal((ulong)'y', reader.ReadUInt64(8));
        Assert.Equal(1.0f, BitConverter.UInt32BitsToSingle((uint)reader.ReadUInt64(32)));
        Assert.Equal(0, reader.BitsRemaining);
        var negative = new BitFieldReader([0xF0]);
        Assert.Equal(-1L, negative.ReadInt64(4));
        Assert.Equal(4, negative.BitPosition);
        try
        {
            negative.ReadUInt64(5);
            Assert.Fail("reading past the end must throw");
        }
        catch (ArgumentOutOfRangeException)
        {
        }
    }
}
