
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class PacketFramerTests
{
    private static List<ReceivedHeap> Feed(byte[] bytes, int maxPacketSize, IEnumerable<int> chunks, out HeapAssembler assembler, out PacketFramer framer)
    {
        assembler = new HeapAssembler(new ReceiveStreamConfig { MaxHeaps = 8 });
        framer = new PacketFramer(maxPacketSize);
        var ready = new List<ReceivedHeap>();
        int offset = 0;
        using var sizes = chunks.GetEnumerator();
        while (offset < bytes.Length)
        {
            var space = framer.GetReceiveSpace();
            int n = Math.Min(space.Length, bytes.Length - offset);
            if (sizes.MoveNext())
                n = Math.Min(n, sizes.Current);
            bytes.AsSpan(offset, n).CopyTo(space.Span);
            framer.Process(n, assembler, ready);
            offset += n;
        }
        return ready;
    }

    private static byte[] ThreeHeaps() => Concat(
        Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[300])], chunk: 100)
        .Concat(Heap(48, 2, [HeapItem.Imm(0x1000, 7)]))
        .Concat(Heap(40, 3, [HeapItem.Addressed(0x1000, new byte[50])])));

    [Fact]
    public void PacketsSplitAtEveryPointAreFramed()
    {
        var bytes = ThreeHeaps();
        for (int chunk = 1; chunk <= 64; chunk++)
        {
            var heaps = Feed(bytes, 512, Enumerable.Repeat(chunk, int.MaxValue), out var a, out var framer);
            Assert.Equal([1L, 2, 3], heaps.Select(h => h.Cnt));
            Assert.Equal(bytes.Length, framer.FramedBytes);
            Assert.Equal(0, a.Statistics.MalformedPackets);
        }
    }

    [Fact]
    public void JunkIsSkippedEightBytesAtATime()
    {
        var bytes = new byte[24].Concat(ThreeHeaps()).ToArray();
        var heaps = Feed(bytes, 512, [5, 7, 100], out var a, out _);
        Assert.Equal(3, heaps.Count);
        Assert.Equal(1, a.Statistics.MalformedPackets);
        Assert.Equal(24, a.Statistics.SkippedBytes);
    }

    [Fact]
    public void JunkThatIsNotAMultipleOfEightLosesFramingUntilItIsFoundAgain()
    {
        // 3 junk bytes shift everything: spead2 skips 8 at a time and only resynchronises by luck.
        var bytes = new byte[3].Concat(ThreeHeaps()).ToArray();
        var heaps = Feed(bytes, 512, [], out var a, out var framer);
        Assert.True(heaps.Count < 3);
        Assert.Equal(bytes.Length, framer.FramedBytes + a.Statistics.SkippedBytes + framer.Buffered);
    }

    [Fact]
    public void OversizedPacketIsSkippedWhole()
    {
        var big = Packet(40, 9, 2000, 0, new byte[2000]);
        var bytes = big.Concat(ThreeHeaps()).ToArray();
        var heaps = Feed(bytes, 512, [1000, 1000, 1000], out var a, out _);
        Assert.Equal(3, heaps.Count);
        Assert.Equal(big.Length, a.Statistics.SkippedBytes);
        Assert.Equal(1, a.Statistics.MalformedPackets);
    }

    [Fact]
    public void HeaderClaimingMorePointersThanTheBufferHoldsIsDiscarded()
    {
        // 65535 pointers need 512 KiB before the size is known; the 64 KiB buffer fills first.
        var header = Hex.Parse("53 04 03 05 00 00 ff ff");
        var bytes = header.Concat(new byte[70000]).Concat(ThreeHeaps()).ToArray();
        var heaps = Feed(bytes, 512, [], out var a, out var framer);
        Assert.Equal(3, heaps.Count);
        Assert.Equal(8 + 70000, a.Statistics.SkippedBytes);
        Assert.Equal(bytes.Length, framer.FramedBytes + a.Statistics.SkippedBytes);
    }
}
