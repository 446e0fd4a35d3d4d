using System.Runtime.CompilerServices;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// The hot path allocates nothing in steady state: generating packets from a prepared heap, and refilling a reused
/// heap. Measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/> after a warm-up (first calls may allocate
/// for one-time initialisation).
/// </summary>
public class AllocationTests
{
    private static readonly byte[] Big = new byte[1 << 20];
    private static readonly float[] Floats = new float[4096];
    private static readonly Descriptor FloatsDescriptor = new(0x1001, "floats", "4096 floats", [4096], dtype: "<f4");

    private static Heap PreparedHeap()
    {
        var heap = new Heap();
        heap.AddItem(0x1000, Big);
        heap.AddImmediate(0x1002, 12345);
        heap.AddItemCopy(0x1003, [1, 2, 3, 4]);
        heap.AddItem<int>(0x1004, new[] { 7 });
        heap.AddStart();
        return heap;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long GenerateAll(Heap heap, byte[] buffer, int maxPacketSize)
    {
        var gen = new Packetizer(heap, 1, maxPacketSize);
        long total = 0;
        while (gen.HasNextPacket)
            total += gen.NextPacket(buffer);
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long GenerateAllZeroCopy(Heap heap, byte[] header, int maxPacketSize)
    {
        var gen = new Packetizer(heap, 1, maxPacketSize);
        long total = 0;
        while (gen.HasNextPacket)
        {
            total += gen.NextPacketHeader(header, out _);
            while (gen.TryGetPayloadSegment(out var segment))
                total += gen.GetSegmentBytes(segment).Length + (segment.IsPadding ? segment.Length : 0);
        }
        return total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Refill(Heap heap, ReadOnlySpan<byte> small)
    {
        heap.Clear();
        heap.AddDescriptor(FloatsDescriptor);
        heap.AddItem<float>(0x1001, Floats);
        heap.AddItemCopy(0x1002, small);
        heap.AddItemCopy(0x1003, small[..3]);
        heap.AddImmediate(0x1004, 99);
        heap.AddStart();
    }

    [Theory]
    [InlineData(1472)]
    [InlineData(9000)]
    [InlineData(56)]
    public void GeneratingPacketsOfPreparedHeap_AllocatesNothing(int maxPacketSize)
    {
        var heap = PreparedHeap();
        var buffer = new byte[maxPacketSize & ~7];
        long expected = CorePackets.Generate(heap, 0, maxPacketSize).Sum(p => (long)p.Length);
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected, GenerateAll(heap, buffer, maxPacketSize));

        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = GenerateAll(heap, buffer, maxPacketSize);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expected, total);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ZeroCopyPackets_AllocateNothing()
    {
        var heap = PreparedHeap();
        var header = new byte[1472];
        long expected = CorePackets.Generate(heap, 0, 1472).Sum(p => (long)p.Length);
        for (int i = 0; i < 3; i++)
            Assert.Equal(expected, GenerateAllZeroCopy(heap, header, 1472));

        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = GenerateAllZeroCopy(heap, header, 1472);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(expected, total);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReusedHeap_SteadyState_AllocatesNothing()
    {
        var heap = new Heap();
        var buffer = new byte[1472];
        ReadOnlySpan<byte> small = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        for (int i = 0; i < 3; i++)
        {
            Refill(heap, small);
            GenerateAll(heap, buffer, 1472);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long total = 0;
        for (int i = 0; i < 100; i++)
        {
            Refill(heap, small);
            total += GenerateAll(heap, buffer, 1472);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(6, heap.Count);
        Assert.Equal(100 * CorePackets.Generate(heap, 0, 1472).Sum(p => (long)p.Length), total);
    }

    [Fact]
    public void AllocationMeasurement_CanFail()
    {
        // The measurement itself sees allocations on this thread (guards against a vacuous zero).
        long before = GC.GetAllocatedBytesForCurrentThread();
        var heap = new Heap();
        heap.AddItem(0x1000, new byte[100]);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated > 100, $"allocated {allocated}");
        GC.KeepAlive(heap);
    }
}
