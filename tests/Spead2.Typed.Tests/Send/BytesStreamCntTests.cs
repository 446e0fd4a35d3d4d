using Spead2.Protocol;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

/// <summary>The heap cnt sequence of a stream (spead-protocol.md §6.3, T11), read back from the bytes it produced.</summary>
public class BytesStreamCntTests
{
    private static Heap SmallHeap(int hab = 48)
    {
        var heap = new Heap(new Flavour(heapAddressBits: hab));
        heap.AddItem(0x10, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        return heap;
    }

    /// <summary>Splits a byte stream into packets using each header's pointer count and PAYLOAD_LENGTH.</summary>
    private static List<byte[]> SplitStream(byte[] stream)
    {
        var packets = new List<byte[]>();
        int pos = 0;
        while (pos < stream.Length)
        {
            int hab = stream[pos + 3] * 8;
            int n = stream[pos + 6] << 8 | stream[pos + 7];
            ulong length = 0;
            for (int i = 0; i < n; i++)
            {
                ulong p = 0;
                for (int b = 0; b < 8; b++)
                    p = p << 8 | stream[pos + 8 + 8 * i + b];
                if (p >> 63 == 1 && (p & ~(1UL << 63)) >> hab == 4)
                    length = p & ((1UL << hab) - 1);
            }
            int total = 8 + 8 * n + (int)length;
            packets.Add(stream.AsSpan(pos, total).ToArray());
            pos += total;
        }
        return packets;
    }

    private static List<ulong> Cnts(BytesStream stream) =>
        RefReceiver.Reassemble(SplitStream(stream.GetValue())).Select(h => h.Cnt).ToList();

    [Fact]
    public void VerifiedSequence_64_48()
    {
        // test_send.py test_send_explicit_cnt, as quoted in §6.3.
        using var stream = new BytesStream();
        var heap = SmallHeap();
        stream.SendHeap(heap);
        stream.SetCntSequence(0x1111111111, 0x1234512345);
        stream.SendHeap(heap);
        stream.SendHeap(heap, 0x9876543210AB);
        stream.SendHeap(heap);
        stream.SetCntSequence((1L << 48) - 1, 1);
        stream.SendHeap(heap);
        stream.SendHeap(heap);
        Assert.Equal(new ulong[] { 1, 0x1111111111, 0x9876543210AB, 0x2345623456, (1UL << 48) - 1, 0 }, Cnts(stream));
    }

    [Fact]
    public void AutomaticCnt_TruncatedToTheHeapsOwnFlavour()
    {
        using var stream = new BytesStream();
        stream.SetCntSequence(0x0123_4567_89AB_CDEF, 0x100);
        stream.SendHeap(SmallHeap(40));   // low 40 bits
        stream.SendHeap(SmallHeap(8));    // low 8 bits of the next value
        stream.SendHeap(SmallHeap(56));
        stream.SendHeap(SmallHeap(16));
        Assert.Equal(new ulong[] { 0x67_89AB_CDEF, 0xEF, 0x23_4567_89AB_CFEF, 0xD0EF }, Cnts(stream));
    }

    [Fact]
    public void AutomaticCnt_WrapsModulo2To64()
    {
        using var stream = new BytesStream();
        stream.SetCntSequence(-1, 1); // 2^64 - 1 as the unsigned counter
        stream.SendHeap(SmallHeap(40));
        stream.SendHeap(SmallHeap(40));
        stream.SetCntSequence(5, -2); // a step of 2^64 - 2 counts down by 2
        stream.SendHeap(SmallHeap(40));
        stream.SendHeap(SmallHeap(40));
        stream.SendHeap(SmallHeap(40));
        stream.SendHeap(SmallHeap(40));
        Assert.Equal(new ulong[] { (1UL << 40) - 1, 0, 5, 3, 1, (1UL << 40) - 1 }, Cnts(stream));
    }

    [Fact]
    public void ExplicitCnt_DoesNotAdvanceTheSequence()
    {
        using var stream = new BytesStream();
        var heap = SmallHeap();
        stream.SendHeap(heap);
        stream.SendHeap(heap, 100);
        stream.SendHeap(heap, 0);
        stream.SendHeap(heap);
        stream.SendHeap(heap, cnt: -1);
        Assert.Equal(new ulong[] { 1, 100, 0, 2, 3 }, Cnts(stream));
    }

    [Fact]
    public void ExplicitCnt_OutOfRange_Rejected_NothingWritten()
    {
        using var stream = new BytesStream();
        var heap = SmallHeap(48);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(heap, 1L << 48));
        Assert.Equal("cnt", ex.ParamName);
        Assert.Contains(((1L << 48) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Empty(stream.GetValue());
        stream.SendHeap(heap);
        Assert.Equal(new ulong[] { 1 }, Cnts(stream));
    }

    [Fact]
    public void StepZero_Rejected_SequenceUnchanged()
    {
        using var stream = new BytesStream();
        stream.SetCntSequence(10, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetCntSequence(77, 0));
        Assert.Equal("step", ex.ParamName);
        stream.SendHeap(SmallHeap());
        stream.SendHeap(SmallHeap());
        Assert.Equal(new ulong[] { 10, 13 }, Cnts(stream));
    }

    [Fact]
    public void Stream_IsConcatenatedPackets_SameAsPacketizer()
    {
        var config = new StreamConfig { MaxPacketSize = 100 };
        using var stream = new BytesStream(config);
        var model = new RefHeap(40).Add(0x1000, Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray()).AddInline(0x1001, 9);
        long written = stream.SendHeap(model.ToHeap());
        var expected = RefEncoder.Concat(RefEncoder.Encode(model, 1, 100));
        Hex.AssertEqual(expected, stream.GetValue());
        Assert.Equal(expected.Length, written);
        // GetValue returns a copy each time.
        var copy = stream.GetValue();
        copy[0] = 0;
        Assert.Equal(0x53, stream.GetValue()[0]);
    }

    [Fact]
    public void SubstreamOtherThanZero_Rejected()
    {
        using var stream = new BytesStream();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(SmallHeap(), substreamIndex: 1));
        Assert.Equal("substreamIndex", ex.ParamName);
        Assert.Empty(stream.GetValue());
    }
}
