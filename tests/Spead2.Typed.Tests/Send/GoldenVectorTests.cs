using Spead2.Protocol;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

/// <summary>
/// The worked examples of the protocol document, which are exact spead2 4.4.1 outputs. Expected bytes are written out
/// by hand here, never computed by the code under test.
/// </summary>
public class GoldenVectorTests
{
    private static readonly Flavour F40 = new(heapAddressBits: 40);
    private static readonly Flavour F48 = new(heapAddressBits: 48);

    private static byte[] Send(Heap heap, long cnt, int maxPacketSize)
    {
        var stream = new BytesStream(new StreamConfig { MaxPacketSize = maxPacketSize });
        stream.SendHeap(heap, cnt);
        return stream.GetValue();
    }

    [Fact]
    public void NumpySimple_64_48()
    {
        // tests/test_send.py::TestEncode::test_numpy_simple
        var ig = new SendItemGroup(flavour: F48);
        ig.AddItem(0x2345, "name", "description", [2, 3], dtype: "uint16",
            value: new ushort[,] { { 6, 7, 8 }, { 10, 11, 12000 } });
        var heap = ig.GetHeap();
        var expected = Hex.Concat(
            Hex.Parse("""
                53 04 02 06 00 00 00 06
                80 01 00 00 00 12 34 56
                80 02 00 00 00 00 00 ba
                80 03 00 00 00 00 00 00
                80 04 00 00 00 00 00 ba
                00 05 00 00 00 00 00 00
                23 45 00 00 00 00 00 ae
                53 04 02 06 00 00 00 0a
                80 01 00 00 00 00 00 01
                80 02 00 00 00 00 00 56
                80 03 00 00 00 00 00 00
                80 04 00 00 00 00 00 56
                80 14 00 00 00 00 23 45
                00 10 00 00 00 00 00 00
                00 11 00 00 00 00 00 04
                00 13 00 00 00 00 00 0f
                00 12 00 00 00 00 00 0f
                00 15 00 00 00 00 00 1d
                """),
            "namedescription",
            Hex.Parse("00 00 00 00 00 00 02  00 00 00 00 00 00 03"),
            "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3)}",
            Hex.Parse("06 00 07 00 08 00 0a 00 0b 00 e0 2e"));
        var actual = Send(heap, 0x123456, 1500);
        Assert.Equal(242, expected.Length);
        Hex.AssertEqual(expected, actual);
    }

    private static Heap ReplicateHeap(bool repeat)
    {
        var heap = new Heap(F48) { RepeatPointers = repeat };
        var data = new byte[32];
        for (int i = 0; i < data.Length; i++)
            data[i] = (byte)i;
        heap.AddItem(new Item(0x2345, "a", "", [32], dtype: "u1", value: data));
        heap.AddItem(new Item(0x2346, "b", "", [], format: [new FormatField('u', 48)], value: 0xDEADBEEFL));
        return heap;
    }

    private static byte[] Range(int from, int count) => Enumerable.Range(from, count).Select(i => (byte)i).ToArray();

    [Fact]
    public void ReplicatePointers_64_48()
    {
        // tests/test_send.py::test_replicate_pointers
        var pointers = "23 45 00 00 00 00 00 00  a3 46 00 00 de ad be ef";
        var expected = Hex.Concat(
            Hex.Parse("53 04 02 06 00 00 00 06  80 01 00 00 00 12 34 56  80 02 00 00 00 00 00 20  80 03 00 00 00 00 00 00  80 04 00 00 00 00 00 10"),
            Hex.Parse(pointers), Range(0, 16),
            Hex.Parse("53 04 02 06 00 00 00 06  80 01 00 00 00 12 34 56  80 02 00 00 00 00 00 20  80 03 00 00 00 00 00 10  80 04 00 00 00 00 00 10"),
            Hex.Parse(pointers), Range(16, 16));
        Hex.AssertEqual(expected, Send(ReplicateHeap(true), 0x123456, 72));
    }

    [Fact]
    public void WithoutReplicatedPointers_SecondPacketCarriesOnlyPayload()
    {
        var expected = Hex.Concat(
            Hex.Parse("53 04 02 06 00 00 00 06  80 01 00 00 00 12 34 56  80 02 00 00 00 00 00 20  80 03 00 00 00 00 00 00  80 04 00 00 00 00 00 10"),
            Hex.Parse("23 45 00 00 00 00 00 00  a3 46 00 00 de ad be ef"), Range(0, 16),
            Hex.Parse("53 04 02 06 00 00 00 04  80 01 00 00 00 12 34 56  80 02 00 00 00 00 00 20  80 03 00 00 00 00 00 10  80 04 00 00 00 00 00 10"),
            Range(16, 16));
        Hex.AssertEqual(expected, Send(ReplicateHeap(false), 0x123456, 72));
    }

    [Fact]
    public void TooManyPointersForOnePacket_NullPointerAndPadding()
    {
        var heap = new Heap(F40);
        for (int i = 0; i < 5; i++)
            heap.AddItem(new Item(0x1000 + i, $"i{i}", "", [], format: [new FormatField('u', 40)], value: i + 1));
        var expected = Hex.Parse("""
            53 04 03 05 00 00 00 07  80 00 01 00 00 00 00 07  80 00 02 00 00 00 00 09  80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 08  80 10 00 00 00 00 00 01  80 10 01 00 00 00 00 02  80 10 02 00 00 00 00 03
            00 00 00 00 00 00 00 00
            53 04 03 05 00 00 00 07  80 00 01 00 00 00 00 07  80 00 02 00 00 00 00 09  80 00 03 00 00 00 00 08
            80 00 04 00 00 00 00 01  80 10 03 00 00 00 00 04  80 10 04 00 00 00 00 05  00 00 00 00 00 00 00 00
            00
            """);
        Assert.Equal(72 + 65, expected.Length);
        Hex.AssertEqual(expected, Send(heap, 7, 72));
    }

    [Fact]
    public void DescriptorSubPacket_Dtype_64_40()
    {
        var d = new Descriptor(0x1000, "x", "An array", [3], dtype: "<u4");
        var expected = Hex.Concat(
            Hex.Parse("""
                53 04 03 05 00 00 00 0a  80 00 01 00 00 00 00 01  80 00 02 00 00 00 00 46
                80 00 03 00 00 00 00 00  80 00 04 00 00 00 00 46  80 00 14 00 00 00 10 00
                00 00 10 00 00 00 00 00  00 00 11 00 00 00 00 01  00 00 13 00 00 00 00 09
                00 00 12 00 00 00 00 09  00 00 15 00 00 00 00 0f
                """),
            "x", "An array", Hex.Parse("00 00 00 00 00 03"),
            "{'descr': '<u4', 'fortran_order': False, 'shape': (3,)}");
        Hex.AssertEqual(expected, d.ToRaw(F40));
    }

    public static TheoryData<int, BugCompat, string, long> FormatDescriptorCases => new()
    {
        { 40, BugCompat.None, "73 | 73 74 72 | 63 00 00 08 | 01 00 00 00 00 00", 14 },
        { 48, BugCompat.None, "73 | 73 74 72 | 63 00 08 | 01 00 00 00 00 00 00", 14 },
        { 40, BugCompat.PySpead052, "73 | 73 74 72 | 63 00 00 08 | 02 00 00 00 00 00 00 00", 16 },
        { 48, BugCompat.DescriptorWidths, "73 | 73 74 72 | 63 00 00 08 | 01 00 00 00 00 00 00 00", 16 },
        { 40, BugCompat.ShapeBit1, "73 | 73 74 72 | 63 00 00 08 | 02 00 00 00 00 00", 14 },
    };

    [Theory]
    [MemberData(nameof(FormatDescriptorCases))]
    public void DescriptorSubPacket_Format(int hab, BugCompat bugCompat, string payloadHex, long payloadLength)
    {
        var flavour = new Flavour(heapAddressBits: hab, bugCompat: bugCompat);
        var d = new Descriptor(0x1001, "s", "str", [Descriptor.VariableDimension], format: [new FormatField('c', 8)]);
        var raw = d.ToRaw(flavour);
        var payload = Hex.Parse(payloadHex);
        Assert.Equal(payloadLength, payload.Length);
        Assert.Equal(8 + 9 * 8 + payload.Length, raw.Length);
        int immBytes = hab / 8;
        Assert.Equal(new byte[] { 0x53, 0x04, (byte)(8 - immBytes), (byte)immBytes, 0, 0, 0, 9 }, raw[..8]);
        Hex.AssertEqual(payload, raw.AsSpan(8 + 9 * 8));
        // HEAP_LENGTH and PAYLOAD_LENGTH carry the payload size.
        Assert.Equal((byte)payloadLength, raw[8 + 8 + 7]);
        Assert.Equal((byte)payloadLength, raw[8 + 24 + 7]);
    }

    [Fact]
    public void SwapEndian_StatesTheOppositeByteOrder()
    {
        var d = new Descriptor(0x1000, "x", "", [], dtype: "<u4");
        Assert.Equal("{'descr': '>u4', 'fortran_order': False, 'shape': ()}", d.GetNumpyHeader(BugCompat.SwapEndian));
        var raw = d.ToRaw(new Flavour(bugCompat: BugCompat.SwapEndian));
        Assert.EndsWith("{'descr': '>u4', 'fortran_order': False, 'shape': ()}", System.Text.Encoding.ASCII.GetString(raw));
    }

    [Fact]
    public void StartHeap_57Bytes()
    {
        var expected = Hex.Parse("""
            53 04 03 05 00 00 00 06  80 00 01 00 00 00 00 01  80 00 02 00 00 00 00 01  80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01  80 00 06 00 00 00 00 00  00 00 00 00 00 00 00 00  00
            """);
        var gen = new HeapGenerator(new ItemGroup());
        var stream = new BytesStream();
        stream.SendHeap(gen.GetStart());
        Hex.AssertEqual(expected, stream.GetValue());
    }

    [Fact]
    public void StopHeap()
    {
        var expected = Hex.Parse("""
            53 04 03 05 00 00 00 06  80 00 01 00 00 00 00 01  80 00 02 00 00 00 00 01  80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01  80 00 06 00 00 00 00 02  00 00 00 00 00 00 00 00  00
            """);
        var heap = new Heap();
        heap.AddEnd();
        Hex.AssertEqual(expected, Send(heap, 1, 1472));
    }

    [Fact]
    public void EmptyHeap_Is49Bytes()
    {
        var expected = Hex.Parse("""
            53 04 03 05 00 00 00 05  80 00 01 00 00 00 00 01  80 00 02 00 00 00 00 01  80 00 03 00 00 00 00 00
            80 00 04 00 00 00 00 01  00 00 00 00 00 00 00 00  00
            """);
        Hex.AssertEqual(expected, Send(new Heap(), 1, 1472));
    }

    public static TheoryData<string, string?, string?, long[], object, string, string> ImmediateCases => new()
    {
        // name, dtype, format, shape, value, pointer, payload ("" = NULL pointer + 00 padding)
        { "<u2", "<u2", null, [], (ushort)0x1234, "80 10 00 00 00 00 34 12", "" },
        { ">u2", ">u2", null, [], (ushort)0x1234, "80 10 00 00 00 00 12 34", "" },
        { "<f4", "<f4", null, [], 1.0f, "80 10 00 00 00 00 80 3f", "" },
        { "<u4 (1,)", "<u4", null, [1], new uint[] { 7 }, "80 10 00 00 07 00 00 00", "" },
        { "u1 (2,)", "u1", null, [2], new byte[] { 1, 2 }, "80 10 00 00 00 00 01 02", "" },
        { "<u8", "<u8", null, [], 1UL, "00 10 00 00 00 00 00 00", "01 00 00 00 00 00 00 00" },
        { "u32", null, "u32", [], 0xdeadbeefU, "80 10 00 00 de ad be ef", "" },
        { "i16", null, "i16", [], (short)-2, "80 10 00 00 00 00 ff fe", "" },
        { "u40", null, "u40", [], 0x0102030405L, "80 10 00 01 02 03 04 05", "" },
        { "u48", null, "u48", [], 1L, "00 10 00 00 00 00 00 00", "00 00 00 00 00 01" },
        { "u12", null, "u12", [], 0xabc, "00 10 00 00 00 00 00 00", "ab c0" },
        { "c8 (5,)", null, "c8", [5], "hello", "80 10 00 68 65 6c 6c 6f", "" },
        { "c8 (None,)", null, "c8", [-1], "hi", "00 10 00 00 00 00 00 00", "68 69" },
        { "f64", null, "f64", [], 1.5, "00 10 00 00 00 00 00 00", "3f f8 00 00 00 00 00 00" },
    };

    [Theory]
    [MemberData(nameof(ImmediateCases))]
    public void ImmediateEncodings_64_40(string caseName, string? dtype, string? format, long[] shape, object value, string pointer, string payload)
    {
        _ = caseName;
        FormatField[]? fields = format is null ? null : [new FormatField(format[0], int.Parse(format[1..], System.Globalization.CultureInfo.InvariantCulture))];
        var heap = new Heap(F40);
        heap.AddItem(new Item(0x1000, "v", "", shape, dtype: dtype, format: fields, value: value));
        bool immediate = payload.Length == 0;
        var payloadBytes = immediate ? new byte[] { 0 } : Hex.Parse(payload);
        var expected = Hex.Concat(
            Hex.Parse($"53 04 03 05 00 00 00 {(immediate ? "06" : "05")}  80 00 01 00 00 00 00 01"),
            Hex.Parse($"80 00 02 00 00 00 00 {payloadBytes.Length:x2}  80 00 03 00 00 00 00 00  80 00 04 00 00 00 00 {payloadBytes.Length:x2}"),
            Hex.Parse(pointer),
            immediate ? Hex.Parse("00 00 00 00 00 00 00 00") : [],
            payloadBytes);
        Hex.AssertEqual(expected, Send(heap, 1, 1472));
    }
}
