using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

public partial record Narrow([SpeadItem(0x1000, Bits = 40)] ulong U40, [SpeadItem(0x1001, Bits = 16)] int I16);

public partial record Texts([SpeadItem(0x1000, Shape = new[] { 3 })] string Fixed, [SpeadItem(0x1001)] string Free);

public partial record Shaped([SpeadItem(0x1000, Shape = new[] { 2, 2 })] float[] Grid, [SpeadItem(0x1001, Shape = new[] { -1, 3 })] byte[] Rows);

/// <summary>Wire vectors for the item encodings and the errors that protect against silent truncation.</summary>
public class CodecTests
{
    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static byte[] Send<T>(in T value)
        where T : ISpeadHeap<T>
    {
        var heap = new Heap();
        T.AddItems(value, heap);
        var stream = new BytesStream();
        stream.SendHeap(heap);
        return stream.GetValue();
    }

    [Fact]
    public void NarrowIntegersAreImmediatesWithTheProtocolDocumentsBytes()
    {
        // Protocol reference §5.5: format u40 0x0102030405 in SPEAD-64-40 is the pointer 80 10 00 01 02 03 04 05;
        // i16 -2 is 80 10 01 00 00 00 ff fe (here ID 0x1001).
        var wire = Hex(Send(new Narrow(0x01_0203_0405, -2)));
        Assert.Contains("8010000102030405", wire, StringComparison.Ordinal);
        Assert.Contains("801001000000fffe", wire, StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesThatDoNotFitTheirBitsThrowInsteadOfTruncating()
    {
        var heap = new Heap();
        var tooBig = Assert.Throws<ArgumentOutOfRangeException>(() => Narrow.AddItems(new Narrow(1UL << 40, 0), heap));
        Assert.Contains("40", tooBig.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Narrow.AddItems(new Narrow(0, 40000), new Heap()));
        Assert.Throws<ArgumentOutOfRangeException>(() => Narrow.AddItems(new Narrow(0, -32769), new Heap()));
        Narrow.AddItems(new Narrow((1UL << 40) - 1, -32768), new Heap());
    }

    [Fact]
    public void StringsAreCheckedForAsciiAndFixedLength()
    {
        Assert.Throws<ArgumentException>(() => Texts.AddItems(new Texts("abcd", ""), new Heap()));
        var notAscii = Assert.Throws<ArgumentException>(() => Texts.AddItems(new Texts("abc", "Größe"), new Heap()));
        Assert.Contains("ASCII", notAscii.Message, StringComparison.Ordinal);

        // A fixed 3-character string fits an immediate (64-40: up to 5 bytes): 80 10 00 00 00 61 62 63.
        var wire = Hex(Send(new Texts("abc", "variable")));
        Assert.Contains("8010000000616263", wire, StringComparison.Ordinal);
        Assert.Contains(Hex("variable"u8.ToArray()), wire, StringComparison.Ordinal);
    }

    [Fact]
    public void ArrayLengthsMustMatchTheShape()
    {
        Assert.Throws<ArgumentException>(() => Shaped.AddItems(new Shaped(new float[3], []), new Heap()));
        Assert.Throws<ArgumentException>(() => Shaped.AddItems(new Shaped(new float[4], new byte[4]), new Heap()));
        Shaped.AddItems(new Shaped(new float[4], new byte[6]), new Heap());
    }

    [Fact]
    public void ArraysAreReferencedNotCopied()
    {
        var grid = new float[] { 1, 2, 3, 4 };
        var heap = new Heap();
        Shaped.AddItems(new Shaped(grid, []), heap);
        grid[0] = 42; // changed after adding: the packet must show the new value, proving zero copy
        var stream = new BytesStream();
        stream.SendHeap(heap);
        var expected = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(expected, 42f);
        Assert.Contains(Hex(expected), Hex(stream.GetValue()), StringComparison.Ordinal);
    }

    [Fact]
    public void AddItemRejectsAnIndexOutsideTheItems()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Narrow.AddItem(new Narrow(0, 0), 2, new Heap()));
        Assert.Equal("index", error.ParamName);
    }

    [Fact]
    public void HeapGeneratorResendsDescriptorsEveryFrequencyHeaps()
    {
        var generator = new HeapWriter<Narrow>(descriptorFrequency: 3);
        var counts = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            var heap = generator.GetHeap(new Narrow(1, 1));
            counts.Add(heap.Count);
        }

        // 2 values per heap, plus 2 descriptors on heaps 0, 3 and 6.
        Assert.Equal([4, 2, 2, 4, 2, 2, 4], counts);
        Assert.Equal(4, generator.GetHeap(new Narrow(1, 1), HeapContents.All).Count);
        Assert.Equal(2, generator.GetHeap(new Narrow(1, 1), HeapContents.None).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeapWriter<Narrow>(descriptorFrequency: 0));
    }
}
