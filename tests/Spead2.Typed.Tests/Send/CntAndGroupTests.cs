using Spead2.Protocol;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

public class CntAndGroupTests
{
    private static readonly Flavour F48 = new(heapAddressBits: 48);

    private static List<long> Cnts(BytesStream stream) =>
        RefReceiver.SplitStream(stream.GetValue()).Select(p => p.HeapCnt).Distinct().ToList();

    [Fact]
    public void CntSequenceMatchesSpead2sVerifiedSequence()
    {
        // spead2 test_send.py test_send_explicit_cnt (SPEAD-64-48), as quoted in the protocol notes §6.3.
        using var stream = new BytesStream();
        var heap = new Heap(F48);
        heap.AddStart();
        stream.SendHeap(heap);
        stream.SetCntSequence(0x1111111111, 0x1234512345);
        stream.SendHeap(heap);
        stream.SendHeap(heap, cnt: 0x9876543210AB);
        stream.SendHeap(heap);
        stream.SetCntSequence((1L << 48) - 1, 1);
        stream.SendHeap(heap);
        stream.SendHeap(heap);
        Assert.Equal(new long[] { 1, 0x1111111111, 0x9876543210AB, 0x2345623456, (1L << 48) - 1, 0 }, Cnts(stream));
    }

    [Fact]
    public void AutomaticCntIsMaskedWithEachHeapsOwnFlavour()
    {
        using var stream = new BytesStream();
        stream.SetCntSequence(0x1_0000_0005, 1);
        var small = new Heap(new Flavour(heapAddressBits: 32));
        small.AddStart();
        var big = new Heap(F48);
        big.AddStart();
        stream.SendHeap(small);
        stream.SendHeap(big);
        Assert.Equal(new long[] { 5, 0x1_0000_0006 }, Cnts(stream));
    }

    [Fact]
    public void CntSequenceWrapsModulo2To64()
    {
        using var stream = new BytesStream();
        var heap = new Heap(F48);
        heap.AddStart();
        stream.SetCntSequence(-1, 2); // 0xFFFF_FFFF_FFFF_FFFF, then 1
        stream.SendHeap(heap);
        stream.SendHeap(heap);
        Assert.Equal(new long[] { (1L << 48) - 1, 1 }, Cnts(stream));
    }

    [Fact]
    public void ExplicitCntOutOfRangeIsRejectedAndDoesNotAdvance()
    {
        using var stream = new BytesStream();
        var heap = new Heap(F48);
        heap.AddStart();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(heap, cnt: 1L << 48));
        Assert.Equal("cnt", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = stream.SendHeapAsync(heap, cnt: 1L << 48); });
        stream.SendHeap(heap);
        Assert.Equal(new long[] { 1 }, Cnts(stream));
    }

    [Fact]
    public void ZeroStepIsRejected()
    {
        using var stream = new BytesStream();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SetCntSequence(5, 0));
        Assert.Equal("step", e.ParamName);
    }

    [Fact]
    public void RoundRobinMatchesSpead2ByteForByte()
    {
        // spead2 test_send.py test_round_robin: SPEAD-64-48, max_packet_size 88, three heaps of one uint8 item each
        // (8, 72 and 136 bytes). Expected order H0p0, H1p0, H2p0, H1p1, H2p1, H2p2.
        const int hab = 48;
        byte[][] values = [.. Enumerable.Range(0, 3).Select(i => Enumerable.Range(i, i * 64 + 8).Select(x => (byte)x).ToArray())];
        using var stream = new BytesStream(new StreamConfig { MaxHeaps = 3, MaxPacketSize = 88 });
        var refs = values.Select((v, i) => new HeapReference(TestHeaps.HeapOf(v, F48, 0x1000 + i))).ToList();
        long bytes = stream.SendHeaps(refs, GroupMode.RoundRobin);

        byte[] First(int heap, long cnt, int length) => RefEncoder.Concat(
            RefEncoder.Header(hab, 5),
            RefEncoder.Immediate(hab, 1, cnt), RefEncoder.Immediate(hab, 2, values[heap].Length),
            RefEncoder.Immediate(hab, 3, 0), RefEncoder.Immediate(hab, 4, length),
            RefEncoder.Address(hab, 0x1000 + heap, 0),
            values[heap][..length]);
        byte[] Later(int heap, long cnt, int offset, int length) => RefEncoder.Concat(
            RefEncoder.Header(hab, 4),
            RefEncoder.Immediate(hab, 1, cnt), RefEncoder.Immediate(hab, 2, values[heap].Length),
            RefEncoder.Immediate(hab, 3, offset), RefEncoder.Immediate(hab, 4, length),
            values[heap][offset..(offset + length)]);
        byte[] expected = RefEncoder.Concat(
            First(0, 1, 8), First(1, 2, 40), First(2, 3, 40),
            Later(1, 2, 40, 32), Later(2, 3, 40, 48), Later(2, 3, 88, 48));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(stream.GetValue()));
        Assert.Equal(expected.Length, bytes);
    }

    [Fact]
    public void SerialSendsHeapAfterHeap()
    {
        using var stream = new BytesStream(new StreamConfig { MaxHeaps = 3, MaxPacketSize = 88 });
        var refs = new[] { 8, 72, 136 }.Select((n, i) => new HeapReference(TestHeaps.HeapOf(n, i, F48))).ToList();
        stream.SendHeaps(refs, GroupMode.Serial);
        var order = RefReceiver.SplitStream(stream.GetValue()).Select(p => (p.HeapCnt, (long)p.PayloadLength)).ToList();
        Assert.Equal(new[] { (1L, 8L), (2L, 40L), (2L, 32L), (3L, 40L), (3L, 48L), (3L, 48L) }, order);
    }

    [Fact]
    public void GroupIsAllOrNothingAndDoesNotAdvanceTheCnt()
    {
        // spead2 test_send_heaps_unwind: the second heap of a group is invalid.
        using var stream = new BytesStream();
        var start = new Heap(F48);
        start.AddStart();
        var end = new Heap(F48);
        end.AddEnd();
        stream.SendHeap(start);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            stream.SendHeaps([new HeapReference(start), new HeapReference(start, substreamIndex: 100)], GroupMode.RoundRobin));
        Assert.Contains("substream", e.Message);
        stream.SendHeap(end);
        var packets = RefReceiver.SplitStream(stream.GetValue());
        Assert.Equal(new long[] { 1, 2 }, packets.Select(p => p.HeapCnt));
        Assert.Equal(new long[] { 0, 2 }, packets.Select(p => p.Items.Single(x => x.Id == 6).Value));
    }

    [Fact]
    public void ExplicitAndAutomaticCntsMixInAGroup()
    {
        using var stream = new BytesStream();
        var h = new Heap(F48);
        h.AddStart();
        stream.SendHeaps([new HeapReference(h), new HeapReference(h, cnt: 100), new HeapReference(h)], GroupMode.Serial);
        Assert.Equal(new long[] { 1, 100, 2 }, Cnts(stream));
    }

    [Fact]
    public void EmptyGroupIsAClearError()
    {
        using var stream = new BytesStream();
        var e = Assert.Throws<ArgumentException>(() => stream.SendHeaps([], GroupMode.Serial));
        Assert.Equal("heaps", e.ParamName);
        Assert.Throws<ArgumentException>(() => { _ = stream.SendHeapsAsync(new List<HeapReference>(), GroupMode.RoundRobin); });
    }

    [Fact]
    public void DefaultHeapReferenceIsRejected()
    {
        using var stream = new BytesStream();
        var e = Assert.Throws<ArgumentException>(() => stream.SendHeaps(new HeapReference[1], GroupMode.Serial));
        Assert.Contains("default HeapReference", e.Message);
        Assert.Throws<ArgumentException>(() => new HeapReferenceList(new HeapReference[1]));
    }

    [Fact]
    public void HeapReferenceListCanBeSentRepeatedlyAndSliced()
    {
        using var stream = new BytesStream(new StreamConfig { MaxHeaps = 8 });
        var heaps = Enumerable.Range(0, 4).Select(i => new HeapReference(TestHeaps.HeapOf(100, i))).ToList();
        var list = new HeapReferenceList(heaps);
        Assert.Equal(4, list.Count);
        stream.SendHeaps(list, GroupMode.Serial);
        HeapReferenceList middle = list[1..3];
        Assert.Equal(2, middle.Count);
        Assert.Same(heaps[1].Heap, middle[0].Heap);
        stream.SendHeaps(middle, GroupMode.Serial);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.Slice(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => middle[2]);

        var assembler = new RefHeapAssembler();
        RefReceiver.SplitStream(stream.GetValue()).ForEach(assembler.Add);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, assembler.Completed.Select(h => h.Cnt));
        Assert.Equal(TestHeaps.Pattern(100, 1), assembler.Completed[4].AddressedItem(0x1000));
        Assert.Equal(TestHeaps.Pattern(100, 2), assembler.Completed[5].AddressedItem(0x1000));
    }

    [Fact]
    public void AnyReadOnlyListWorks()
    {
        using var stream = new BytesStream();
        IReadOnlyList<HeapReference> custom = new System.Collections.ObjectModel.ReadOnlyCollection<HeapReference>(
            [new HeapReference(TestHeaps.HeapOf(10, 1)), new HeapReference(TestHeaps.HeapOf(20, 2))]);
        stream.SendHeaps(custom, GroupMode.RoundRobin);
        Assert.Equal(new long[] { 1, 2 }, Cnts(stream));
    }

    [Fact]
    public void SendHeapReturnsTheBytesSent()
    {
        using var stream = new BytesStream();
        long n = stream.SendHeap(TestHeaps.HeapOf(4096, 1));
        Assert.Equal(stream.GetValue().Length, n);
        // 4096 bytes at 1472: payloads 1424 + 1432 + 1240, 48 + 40 + 40 bytes of headers.
        Assert.Equal(4096 + 48 + 40 + 40, n);
    }

    [Fact]
    public void BytesStreamKeepsItsCoreApi()
    {
        using var stream = new BytesStream(new StreamConfig { MaxPacketSize = 9000 });
        Assert.Equal(1, stream.NumSubstreams);
        Assert.Equal(9000, stream.Config.MaxPacketSize);
        stream.Config.MaxPacketSize = 100; // a copy: no effect
        Assert.Equal(9000, stream.Config.MaxPacketSize);
        Assert.Empty(stream.GetValue());
    }
}
