
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class HeapAssemblerTests
{
    private static byte[] Bytes(int n, int seed = 0) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + seed)).ToArray();

    [Fact]
    public void SinglePacketHeapIsDeliveredAtOnce()
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        var packet = Heap(40, 5, [HeapItem.Addressed(0x1000, [1, 2, 3]), HeapItem.Imm(0x1001, 0x1234)])[0];
        Assert.Equal(PacketStatus.Ok, assembler.AddPacket(packet, ready));
        var heap = Assert.Single(ready);
        Assert.Equal(5, heap.Cnt);
        Assert.True(heap.IsComplete);
        Assert.Equal(40, heap.HeapAddressBits);
        Assert.Equal(2, heap.Items.Count);
        Assert.True(heap.TryGetItem(0x1000, out var a));
        Assert.Equal([1, 2, 3], a.Span.ToArray());
        Assert.False(a.IsImmediate);
        Assert.True(heap.TryGetItem(0x1001, out var b));
        Assert.True(b.IsImmediate);
        Assert.Equal(0x1234, b.ImmediateValue);
        Assert.Equal([0, 0, 0, 0x12, 0x34], b.Span.ToArray());   // HAB/8 = 5 bytes, big-endian
        Assert.Equal(1, assembler.Statistics.Heaps);
        Assert.Equal(1, assembler.Statistics.Packets);
        Assert.Equal(packet.Length, assembler.Statistics.Bytes);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(48)]
    [InlineData(56)]
    public void ImmediatesAreHabOver8Bytes(int hab)
    {
        long value = 0xA5 & ((1L << hab) - 1);
        var heap = Assert.Single(Assemble(Heap(hab, 1, [HeapItem.Imm(0x7F, value)])));
        var item = Assert.Single(heap.Items);
        Assert.Equal(hab / 8, item.Value.Length);
        Assert.Equal(value, item.ImmediateValue);
        Assert.Equal(0xA5, item.Span[^1]);
    }

    [Fact]
    public void MultiPacketHeapInOrder()
    {
        var data = Bytes(5000);
        var packets = Heap(40, 9, [HeapItem.Addressed(0x1000, data)], chunk: 1400);
        Assert.Equal(4, packets.Count);
        var heaps = Assemble(packets);
        var heap = Assert.Single(heaps);
        Assert.Equal(data, heap.Items[0].Span.ToArray());
    }

    [Fact]
    public void OutOfOrderIsRejectedByDefaultAndAcceptedWhenAllowed()
    {
        var data = Bytes(3000);
        var packets = Heap(40, 9, [HeapItem.Addressed(0x1000, data)], chunk: 1000);
        (packets[1], packets[2]) = (packets[2], packets[1]);

        var strict = Assemble(packets, null, out var a);
        Assert.Empty(strict);                        // the heap is incomplete when flushed
        Assert.Equal(1, a.Statistics.RejectedPackets);   // packet 2 arriving before 1
        Assert.Equal(1, a.Statistics.IncompleteHeaps);

        var relaxed = Assemble(packets, new ReceiveStreamConfig { AllowOutOfOrder = true }, out var b);
        Assert.Equal(data, Assert.Single(relaxed).Items[0].Span.ToArray());
        Assert.Equal(0, b.Statistics.RejectedPackets);
    }

    [Fact]
    public void FirstPacketMustStartAtZeroInOrderMode()
    {
        var packets = Heap(40, 9, [HeapItem.Addressed(0x1000, Bytes(300))], chunk: 100);
        Assemble(packets.Skip(1), null, out var a);
        Assert.Equal(2, a.Statistics.RejectedPackets);
        Assert.Equal(0, a.Statistics.Heaps);
    }

    [Fact]
    public void DuplicatesAndOverlapsAreRejected()
    {
        var data = Bytes(300);
        var packets = Heap(40, 3, [HeapItem.Addressed(0x1000, data)], chunk: 100);
        var config = new ReceiveStreamConfig { AllowOutOfOrder = true };
        var overlap = Packet(40, 3, 300, 50, data.AsSpan(50, 100));
        var heaps = Assemble([packets[0], packets[0], overlap, packets[2], packets[1], packets[1]], config, out var a);
        Assert.Equal(data, Assert.Single(heaps).Items[0].Span.ToArray());
        // Duplicate of 0, the overlap, and the duplicate of 1 after the heap completed starts a new heap
        // (which is then incomplete at the flush).
        Assert.Equal(2, a.Statistics.RejectedPackets);
        Assert.Equal(1, a.Statistics.IncompleteHeaps);
    }

    [Fact]
    public void OldestHeapIsEvictedWhenSlotsRunOut()
    {
        // Five interleaved two-packet heaps with MaxHeaps = 4: heap 1 is evicted by heap 5.
        var heaps = Enumerable.Range(1, 5).Select(c => Heap(40, c, [HeapItem.Addressed(0x1000, Bytes(20, c))], chunk: 10)).ToList();
        var order = heaps.Select(h => h[0]).Concat(heaps.Select(h => h[1]));
        var delivered = Assemble(order, null, out var a);
        Assert.Equal([2, 3, 4, 5], delivered.Select(h => h.Cnt).Order());
        Assert.Equal(1, a.Statistics.IncompleteHeapsEvicted);
        Assert.Equal(1, a.Statistics.IncompleteHeaps);
        Assert.Equal(4, a.Statistics.Heaps);
        // Heap 1's second packet found no heap and, not starting at offset 0, was rejected.
        Assert.Equal(1, a.Statistics.RejectedPackets);

        var wider = Assemble(order, new ReceiveStreamConfig { MaxHeaps = 5 });
        Assert.Equal(5, wider.Count);
    }

    [Fact]
    public void IncompleteHeapIsDeliveredFlaggedWhenAsked()
    {
        var packets = Heap(40, 7, [HeapItem.Imm(0x1001, 42), HeapItem.Addressed(0x1000, Bytes(200))], chunk: 100);
        var heaps = Assemble([packets[0]], new ReceiveStreamConfig { DeliverIncompleteHeaps = true }, out var a);
        var heap = Assert.Single(heaps);
        Assert.False(heap.IsComplete);
        Assert.Equal(200, heap.HeapLength);
        Assert.Equal(100, heap.ReceivedLength);
        // Only immediates survive in an incomplete heap.
        var item = Assert.Single(heap.Items);
        Assert.Equal(0x1001, item.Id);
        Assert.Equal(42, item.ImmediateValue);
        Assert.Equal(1, a.Statistics.IncompleteHeaps);
        Assert.Equal(1, a.Statistics.IncompleteHeapsFlushed);
    }

    [Fact]
    public void UnsizedHeapIsDeliveredWhenContiguousAtEviction()
    {
        var data = Bytes(250);
        var packets = Heap(40, 4, [HeapItem.Addressed(0x1000, data)], chunk: 100, withHeapLength: false);
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        foreach (var p in packets)
            assembler.AddPacket(p, ready);
        Assert.Empty(ready);    // can never be complete without HEAP_LENGTH
        assembler.Flush(ready);
        var heap = Assert.Single(ready);
        Assert.True(heap.IsComplete);
        Assert.Equal(-1, heap.HeapLength);
        Assert.Equal(data, heap.Items[0].Span.ToArray());
        Assert.False(assembler.IsStopped);
    }

    [Fact]
    public void UnsizedHeapsCanBeRefused()
    {
        var packets = Heap(40, 4, [HeapItem.Addressed(0x1000, Bytes(10))], withHeapLength: false);
        Assert.Empty(Assemble(packets, new ReceiveStreamConfig { AllowUnsizedHeaps = false }, out var a));
        Assert.Equal(1, a.Statistics.RejectedPackets);
    }

    [Fact]
    public void ItemsAreSortedByAddressThenImmediateValueAndSizedByAddressDifferences()
    {
        // Pointers deliberately out of address order; a NULL pointer ends item B early; a
        // zero-length item and IDs 1-4 from the item list disappear.
        byte[] payload = [10, 11, 12, 20, 21, 30, 0, 0];
        var packet = Packet(40, 1, payload.Length, 0, payload,
            Imm(40, 0x2002, 9),
            Addr(40, 0x2001, 3),    // B: 3..5
            Addr(40, 0x2000, 0),    // A: 0..3
            Imm(40, 0x2003, 1),
            Addr(40, 0, 6),         // NULL at 6: C (5..6) ends here, padding 6..8 is not an item
            Addr(40, 0x2004, 5),    // C
            Addr(40, 0x2005, 6),    // same address as NULL but after it (stable sort): runs 6..8
            Addr(40, 3, 2));        // an addressed PAYLOAD_OFFSET ID is no special, but IDs 1-4 never become items
        var heap = Assert.Single(Assemble([packet]));
        Assert.Equal([0x2000L, 0x2001, 0x2004, 0x2005, 0x2003, 0x2002], heap.Items.Select(i => i.Id));
        Assert.Equal([10, 11, 12], heap.Items[0].Span.ToArray());
        Assert.Equal([20, 21], heap.Items[1].Span.ToArray());
        Assert.Equal([30], heap.Items[2].Span.ToArray());
        Assert.Equal([0, 0], heap.Items[3].Span.ToArray());
        Assert.Equal(1, heap.Items[4].ImmediateValue);
        Assert.Equal(9, heap.Items[5].ImmediateValue);
    }

    [Fact]
    public void ZeroLengthAddressedItemsAreDropped()
    {
        var packet = Packet(40, 1, 4, 0, [1, 2, 3, 4], Addr(40, 0x1000, 0), Addr(40, 0x1001, 0));
        var heap = Assert.Single(Assemble([packet]));
        // Stable sort keeps 0x1000 first; it runs to the next address, 0: empty, so it is dropped.
        var item = Assert.Single(heap.Items);
        Assert.Equal(0x1001, item.Id);
        Assert.Equal(4, item.Value.Length);
    }

    [Fact]
    public void RepeatedPointersAreStoredOnce()
    {
        var data = Bytes(30);
        var p0 = Packet(40, 2, 30, 0, data.AsSpan(0, 15), Addr(40, 0x1000, 0), Imm(40, 0x1001, 5));
        var p1 = Packet(40, 2, 30, 15, data.AsSpan(15), Addr(40, 0x1000, 0), Imm(40, 0x1001, 5));
        var heap = Assert.Single(Assemble([p0, p1]));
        Assert.Equal(2, heap.Items.Count);
        Assert.Equal(data, heap.Items[0].Span.ToArray());
    }

    [Fact]
    public void ManyPointersUseTheSetAndStayDeduplicated()
    {
        var pointers = Enumerable.Range(0, 100).Select(i => Imm(40, 0x1000 + i, i)).ToArray();
        var p0 = Packet(40, 2, 2, 0, [0], pointers);
        var p1 = Packet(40, 2, 2, 1, [0], pointers);
        var heap = Assert.Single(Assemble([p0, p1]));
        Assert.Equal(100, heap.Items.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), heap.Items.Select(i => i.ImmediateValue));
    }

    [Fact]
    public void InconsistentPacketsAreRejected()
    {
        var p0 = Packet(40, 2, 20, 0, Bytes(10), Addr(40, 0x1000, 0));
        var otherLength = Packet(40, 2, 21, 10, Bytes(10));
        var otherFlavour = Packet(48, 2, 20, 10, Bytes(10));
        var tooSmall = Packet(40, 3, 20, 0, Bytes(10), Addr(40, 0x1000, 15));
        var tooSmall2 = Packet(40, 3, 12, 10, Bytes(2));
        Assemble([p0, otherLength, otherFlavour, tooSmall, tooSmall2], null, out var a);
        Assert.Equal(3, a.Statistics.RejectedPackets);
    }

    [Fact]
    public void AddressBeyondHeapLengthMakesTheHeapIncomplete()
    {
        var packet = Packet(40, 2, 4, 0, [1, 2, 3, 4], Addr(40, 0x1000, 0), Addr(40, 0x1001, 6));
        var heaps = Assemble([packet], null, out var a);
        Assert.Empty(heaps);
        Assert.Equal(1, a.Statistics.IncompleteHeaps);
    }

    [Fact]
    public void StopItemEndsTheStreamAndTheCompleteStopHeapIsNotDelivered()
    {
        var open = Heap(40, 1, [HeapItem.Addressed(0x1000, Bytes(20))], chunk: 10);
        var unsized = Heap(40, 2, [HeapItem.Addressed(0x1000, Bytes(20))], withHeapLength: false);
        var stop = Heap(40, 3, [HeapItem.Imm(6, 2), HeapItem.Imm(0x1001, 77)]);
        var after = Heap(40, 4, [HeapItem.Imm(0x1001, 1)]);
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        foreach (var p in new[] { open[0], unsized[0], stop[0], after[0] })
            assembler.AddPacket(p, ready);
        Assert.True(assembler.IsStopped);
        // Heap 1 was half received (dropped); heap 2 is contiguous (delivered); heap 3 is the stop
        // heap (not delivered, its other item is lost, as in spead2); heap 4 came after the stop.
        Assert.Equal([2L], ready.Select(h => h.Cnt));
        Assert.Equal(1, assembler.Statistics.IncompleteHeaps);
        Assert.Equal(3, assembler.Statistics.Packets);
    }

    [Fact]
    public void StopItemInAnIncompleteHeapStillStopsAndTheHeapIsFlushed()
    {
        var stop = Heap(40, 3, [HeapItem.Imm(6, 2), HeapItem.Addressed(0x1000, Bytes(20))], chunk: 10);
        var heaps = Assemble([stop[0]], new ReceiveStreamConfig { DeliverIncompleteHeaps = true }, out var a);
        Assert.True(a.IsStopped);
        var heap = Assert.Single(heaps);
        Assert.True(heap.IsEndOfStream);
        Assert.False(heap.IsComplete);
    }

    [Fact]
    public void StopItemCanBeIgnored()
    {
        var stop = Heap(40, 3, [HeapItem.Imm(6, 2)]);
        var start = Heap(40, 4, [HeapItem.Imm(6, 0)]);
        var heaps = Assemble(stop.Concat(start), new ReceiveStreamConfig { StopOnStopItem = false });
        Assert.Equal(2, heaps.Count);
        Assert.True(heaps[0].IsEndOfStream);
        Assert.True(heaps[1].IsStartOfStream);
        Assert.False(heaps[1].IsEndOfStream);
    }

    [Fact]
    public void HeapsOverTheSizeLimitAreRejectedBeforeTakingASlot()
    {
        var config = new ReceiveStreamConfig { MaxHeapSize = 1000 };
        var claim = Packet(40, 1, 1L << 39, 0, [1], Addr(40, 0x1000, 0));
        var farOffset = Packet(40, 2, -1, 5000, [1]);
        var fine = Heap(40, 3, [HeapItem.Addressed(0x1000, Bytes(1000))], chunk: 400);
        var heaps = Assemble(fine.Take(1).Concat([claim, farOffset]).Concat(fine.Skip(1)), config, out var a);
        Assert.Single(heaps);
        Assert.Equal(2, a.Statistics.RejectedPackets);
        Assert.Equal(0, a.Statistics.IncompleteHeapsEvicted);
    }

    [Fact]
    public void SinglePacketHeapDoesNotJoinAnOpenHeapWithTheSameCnt()
    {
        var open = Heap(40, 8, [HeapItem.Addressed(0x1000, Bytes(20))], chunk: 10);
        var single = Heap(40, 8, [HeapItem.Imm(0x1001, 5)]);
        var heaps = Assemble([open[0], single[0], open[1]]);
        Assert.Equal(2, heaps.Count);
        Assert.Contains(heaps, h => h.TryGetItem(0x1001, out _));
        Assert.Contains(heaps, h => h.TryGetItem(0x1000, out var i) && i.Value.Length == 20);
    }

    [Fact]
    public void DisposedHeapForgetsItsItems()
    {
        var heap = Assert.Single(Assemble(Heap(40, 1, [HeapItem.Addressed(0x1000, Bytes(100))])));
        heap.Dispose();
        Assert.Empty(heap.Items);
        heap.Dispose();
    }
}
