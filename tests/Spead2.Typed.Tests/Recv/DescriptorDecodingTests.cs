using System.Text;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class DescriptorDecodingTests
{
    // Protocol notes §4.4: the descriptor sub-packet of item 0x1000 'x' in SPEAD-64-40.
    private static readonly byte[] Example44 = Hex.Parse(
        "53 04 03 05 00 00 00 0a | 80 00 01 00 00 00 00 01 | 80 00 02 00 00 00 00 46" +
        "80 00 03 00 00 00 00 00 | 80 00 04 00 00 00 00 46 | 80 00 14 00 00 00 10 00" +
        "00 00 10 00 00 00 00 00 | 00 00 11 00 00 00 00 01 | 00 00 13 00 00 00 00 09" +
        "00 00 12 00 00 00 00 09 | 00 00 15 00 00 00 00 0f" +
        "78 | 41 6e 20 61 72 72 61 79 | 00 00 00 00 00 03")
        .Concat(Encoding.ASCII.GetBytes("{'descr': '<u4', 'fortran_order': False, 'shape': (3,)}")).ToArray();

    private static ReceivedHeap HeapWithDescriptors(Flavour flavour, params byte[][] descriptors)
    {
        var heap = new Heap(flavour);
        foreach (var d in descriptors)
            heap.AddItem(ItemIds.Descriptor, d, allowImmediate: false);
        var stream = new BytesStream();
        stream.SendHeap(heap);
        var heaps = Assemble([stream.GetValue()], new ReceiveStreamConfig { BugCompat = flavour.BugCompat });
        return Assert.Single(heaps);
    }

    [Fact]
    public void DecodesTheDocumentedDescriptor()
    {
        var heap = HeapWithDescriptors(Flavour.Default, Example44);
        var raw = Assert.Single(heap.GetRawDescriptors());
        Assert.Equal(0x1000, raw.Id);
        Assert.Equal("x", raw.Name);
        Assert.Equal("An array", raw.Description);
        Assert.Equal("{'descr': '<u4', 'fortran_order': False, 'shape': (3,)}", raw.NumpyHeader);
        Assert.Empty(raw.Shape);     // the numpy header overrides the shape records
        var d = Assert.Single(heap.GetDescriptors());
        Assert.Equal("<u4", d.Dtype);
        Assert.Equal([3L], d.Shape);
        Assert.Equal(ArrayOrder.C, d.Order);
    }

    [Fact]
    public void DecodesDocumentedFormatDescriptorsIn64_40And64_48()
    {
        // §4.4: ID 0x1001, 's', 'str', format [('c', 8)], shape (None,).
        var d40 = Descriptor(40, 0x1001, "s", "str", Hex.Parse("63 00 00 08"), Hex.Parse("01 00 00 00 00 00"), []);
        var d48 = Descriptor(48, 0x1001, "s", "str", Hex.Parse("63 00 08"), Hex.Parse("01 00 00 00 00 00 00"), []);
        foreach (var (bytes, hab) in new[] { (d40, 40), (d48, 48) })
        {
            var heap = HeapWithDescriptors(new Flavour(heapAddressBits: hab), bytes);
            var d = Assert.Single(heap.GetDescriptors());
            Assert.Equal(0x1001, d.Id);
            Assert.Equal([new FormatField('c', 8)], d.Format);
            Assert.Equal([Spead2.Protocol.Descriptor.VariableDimension], d.Shape);
        }
    }

    [Fact]
    public void PySpead052WidthsAndShapeBit()
    {
        // §4.5: ('c', 8), shape (None,) under PYSPEAD_0_5_2 in 64-40.
        var bytes = Descriptor(40, 0x1001, "s", "str", Hex.Parse("63 00 00 08"), Hex.Parse("02 00 00 00 00 00 00 00"), []);
        var flavour = new Flavour(bugCompat: BugCompat.PySpead052);
        var d = Assert.Single(HeapWithDescriptors(flavour, bytes).GetDescriptors());
        Assert.Equal([Spead2.Protocol.Descriptor.VariableDimension], d.Shape);
        Assert.Equal([new FormatField('c', 8)], d.Format);

        // Read without the bug-compat bits, the same bytes mean something else: the first 6 bytes
        // make one record whose flag byte 0x02 is not the variable bit, so the dimension is a fixed
        // 0; the 2 bytes left over are not a whole record and are dropped.
        var plain = Assert.Single(HeapWithDescriptors(Flavour.Default, bytes).GetRawDescriptors());
        Assert.Equal([0L], plain.Shape);
    }

    [Fact]
    public void SwapEndianSwapsTheHeaderByteOrderBack()
    {
        var descriptor = new Descriptor(0x1000, "v", "", [2], dtype: "<u4");
        var flavour = new Flavour(bugCompat: BugCompat.SwapEndian);
        var bytes = descriptor.ToRaw(flavour);
        Assert.Contains("'>u4'", Encoding.ASCII.GetString(bytes));
        var d = Assert.Single(HeapWithDescriptors(flavour, bytes).GetDescriptors());
        Assert.Equal("<u4", d.Dtype);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    [InlineData(40)]
    [InlineData(48)]
    [InlineData(56)]
    public void EveryFlavourAndBugCompatRoundTrips(int hab)
    {
        for (int bits = 0; bits < 8; bits++)
        {
            var flavour = new Flavour(heapAddressBits: hab, bugCompat: (BugCompat)bits);
            var byFormat = new Descriptor(0x7F, "f", "d", [Spead2.Protocol.Descriptor.VariableDimension, 3], format: [new('u', 12), new('f', 64)]);
            var byDtype = new Descriptor(0x7E, "n", "", [2, 1], dtype: ">c16", order: ArrayOrder.Fortran);
            // One heap each: in SPEAD-64-8 a heap holds at most 255 bytes.
            foreach (var expected in new[] { byFormat, byDtype })
            {
                var heap = HeapWithDescriptors(flavour, expected.ToRaw(flavour));
                var actual = Assert.Single(heap.GetDescriptors());
                Assert.True(ItemGroup.SameDescription(expected, actual), $"{flavour}: {actual}");
            }
        }
    }

    [Fact]
    public void DescriptorWithoutIdIsSkipped()
    {
        var noId = Packet(40, 1, 1, 0, (byte[])[0x61], Addr(40, 0x10, 0));
        var addressedId = Packet(40, 1, 2, 0, (byte[])[0x61, 0x10], Addr(40, 0x10, 0), Addr(40, 0x14, 1));
        var heap = HeapWithDescriptors(Flavour.Default, noId, addressedId);
        Assert.Empty(heap.GetRawDescriptors());
    }

    [Fact]
    public void GarbageDescriptorGivesNothing()
    {
        var heap = HeapWithDescriptors(Flavour.Default, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        Assert.Empty(heap.GetRawDescriptors());
    }

    [Theory]
    [InlineData("{'descr': '<u4', 'fortran_order': False, 'shape': (3,)}", "<u4", false, new long[] { 3 })]
    [InlineData("{'shape': (), 'fortran_order': True, 'descr': '>f8'}", ">f8", true, new long[0])]
    [InlineData("{ \"descr\" : \"|b1\" , 'fortran_order':False,'shape':(2,3,),}", "|b1", false, new long[] { 2, 3 })]
    [InlineData("{'descr': '|S4', 'fortran_order': False, 'shape': (0,)}", "|S4", false, new long[] { 0 })]
    public void ParsesNumpyHeaders(string header, string dtype, bool fortran, long[] shape)
    {
        var result = NumpyHeaderParser.Parse(header);
        Assert.Equal(dtype, result.Dtype.Descr);
        Assert.Equal(fortran ? ArrayOrder.Fortran : ArrayOrder.C, result.Order);
        Assert.Equal(shape, result.Shape);
    }

    [Theory]
    [InlineData("{'descr': '<u4', 'fortran_order': false, 'shape': [3]}")]   // JSON, refused by spead2 too
    [InlineData("{'descr': '<u4', 'fortran_order': False}")]
    [InlineData("{'descr': '<u4', 'fortran_order': False, 'shape': (3,), 'x': 1}")]
    [InlineData("{'descr': [('a', '<u2'), ('b', '>f4')], 'fortran_order': False, 'shape': (3,)}")]
    [InlineData("{'descr': '<u3', 'fortran_order': False, 'shape': (3,)}")]
    [InlineData("{'descr': '<u4', 'fortran_order': False, 'shape': (-3,)}")]
    [InlineData("{'descr': '<u4', 'fortran_order': False, 'shape': (3,)} extra")]
    [InlineData("{'descr': '<u4")]
    [InlineData("")]
    public void RejectsBadNumpyHeaders(string header)
    {
        Assert.Throws<InvalidDataException>(() => NumpyHeaderParser.Parse(header));
    }

    [Fact]
    public void InvalidRawDescriptorsThrowInvalidData()
    {
        var zeroBits = Descriptor(40, 0x1000, "a", "", Hex.Parse("75 00 00 00"), [], []);
        var badCode = Descriptor(40, 0x1001, "b", "", Hex.Parse("7a 00 00 08"), [], []);
        var noType = Descriptor(40, 0x1002, "c", "", [], [], []);
        var nonAscii = Descriptor(40, 0x1003, "\u00e9", "", Hex.Parse("75 00 00 08"), [], []);
        var heap = HeapWithDescriptors(Flavour.Default, zeroBits, badCode, noType, nonAscii);
        var raws = heap.GetRawDescriptors();
        Assert.Equal(4, raws.Count);
        foreach (var raw in raws)
            Assert.Throws<InvalidDataException>(() => raw.ToDescriptor());
        Assert.Throws<InvalidDataException>(() => heap.GetDescriptors());
    }

    /// <summary>A descriptor packet laid out as spead2 does, from hand-made field bytes.</summary>
    private static byte[] Descriptor(int hab, long id, string name, string description, byte[] format, byte[] shape, byte[] dtype)
    {
        var nameBytes = Encoding.Latin1.GetBytes(name);
        var descBytes = Encoding.Latin1.GetBytes(description);
        var payload = nameBytes.Concat(descBytes).Concat(format).Concat(shape).Concat(dtype).ToArray();
        long a = 0;
        var pointers = new List<ulong>
        {
            Imm(hab, 0x14, id),
            Addr(hab, 0x10, a), Addr(hab, 0x11, a += nameBytes.Length),
            Addr(hab, 0x13, a += descBytes.Length), Addr(hab, 0x12, a += format.Length),
        };
        if (dtype.Length > 0)
            pointers.Add(Addr(hab, 0x15, a + shape.Length));
        return Packet(hab, 1, payload.Length, 0, payload, [.. pointers]);
    }
}
