using System.Runtime.CompilerServices;

namespace Spead2.Recv;

/// <summary>
/// The memory of one receiver (spead2's memory pool, in spirit): payload buffers and
/// <see cref="ReceivedHeap"/> objects are taken from here while heaps are assembled and come back
/// when the consumer disposes a heap, so a receiver in steady state allocates nothing per heap.
/// Rented on the reader's thread and returned on the consumer's, hence the lock; both sides hold
/// it for a short list scan only.
/// </summary>
internal sealed class HeapPool
{
    // Buffers are allocated in whole pages: a heap that grows by a few bytes then still fits the
    // buffer it had, and sizes of similar heaps coincide so their buffers are interchangeable.
    private const int Granularity = 4096;

    private readonly Lock _lock = new();
    private readonly List<byte[]> _buffers;
    private readonly Stack<ReceivedHeap> _heaps;
    private readonly int _capacity;

    /// <param name="capacity">Most free buffers (and free heap objects) kept. Beyond this the
    /// garbage collector takes them: a consumer that holds many heaps at once and then lets them
    /// go should not pin that peak for the life of the stream.</param>
    public HeapPool(int capacity)
    {
        _capacity = capacity;
        _buffers = new List<byte[]>(Math.Min(capacity, 64));
        _heaps = new Stack<ReceivedHeap>(Math.Min(capacity, 64));
    }

    /// <summary>Free buffers now held (for tests).</summary>
    public int FreeBuffers
    {
        get
        {
            lock (_lock)
                return _buffers.Count;
        }
    }

    /// <summary>
    /// A buffer of at least <paramref name="minimum"/> bytes and at most twice that (so that a small
    /// heap does not sit on a big buffer, which would defeat the memory bounds of the assembler),
    /// from the free list if one fits, else newly allocated. Contents are undefined.
    /// </summary>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public byte[] RentBuffer(int minimum)
    {
        long upper = Math.Max(2L * minimum, Granularity);
        lock (_lock)
        {
            int best = -1;
            for (int i = 0; i < _buffers.Count; i++)
            {
                int length = _buffers[i].Length;
                if (length >= minimum && length <= upper && (best < 0 || length < _buffers[best].Length))
                    best = i;
            }
            if (best >= 0)
            {
                var found = _buffers[best];
                _buffers[best] = _buffers[^1];
                _buffers.RemoveAt(_buffers.Count - 1);
                return found;
            }
        }
        long size = Math.Min(((long)minimum + Granularity - 1) / Granularity * Granularity, Array.MaxLength);
        return GC.AllocateUninitializedArray<byte>((int)size);
    }

    /// <summary>Takes a buffer back. When the list is full the smallest buffer goes to the collector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ReturnBuffer(byte[] buffer)
    {
        lock (_lock)
        {
            if (_buffers.Count < _capacity)
            {
                _buffers.Add(buffer);
                return;
            }
            int smallest = 0;
            for (int i = 1; i < _buffers.Count; i++)
            {
                if (_buffers[i].Length < _buffers[smallest].Length)
                    smallest = i;
            }
            if (_buffers[smallest].Length < buffer.Length)
                _buffers[smallest] = buffer;
        }
    }

    /// <summary>A heap object to fill (a recycled one if any).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReceivedHeap RentHeap()
    {
        lock (_lock)
        {
            if (_heaps.TryPop(out var heap))
                return heap;
        }
        return new ReceivedHeap();
    }

    /// <summary>Takes back a disposed heap object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ReturnHeap(ReceivedHeap heap)
    {
        lock (_lock)
        {
            if (_heaps.Count < _capacity)
                _heaps.Push(heap);
        }
    }
}
