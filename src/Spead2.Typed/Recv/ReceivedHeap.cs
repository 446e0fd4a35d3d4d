using System.Buffers;

namespace Spead2.Recv;

/// <summary>
/// A heap that left the receiver: its cnt, its flavour and its items, ordered as spead2 orders
/// them (addressed items by address, then immediates by value; never the wire order). The item
/// bytes live in a pooled buffer owned by the heap: <see cref="Dispose"/> returns it, after which
/// no <see cref="ReceivedItem.Value"/> of this heap may be used. Not disposing is safe; the buffer
/// is then simply left to the garbage collector.
/// </summary>
public sealed class ReceivedHeap : IDisposable
{
    private const long StreamCtrlId = 6;
    private const long StopValue = 2;
    private const long StartValue = 0;

    private ReceivedItem[] _items;
    private byte[]? _buffer;

    internal ReceivedHeap(long cnt, int heapAddressBits, int bugCompat, ReceivedItem[] items, byte[]? buffer,
        bool isComplete, long heapLength, long receivedLength)
    {
        Cnt = cnt;
        HeapAddressBits = heapAddressBits;
        BugCompatBits = bugCompat;
        _items = items;
        _buffer = buffer;
        IsComplete = isComplete;
        HeapLength = heapLength;
        ReceivedLength = receivedLength;
    }

    /// <summary>The heap counter (HEAP_CNT) shared by the heap's packets.</summary>
    public long Cnt { get; }

    /// <summary>Heap address bits of the flavour the packets carried.</summary>
    public int HeapAddressBits { get; }

    /// <summary>The bug-compat bits the receiver was configured with (never on the wire).</summary>
    internal int BugCompatBits { get; }

    /// <summary>
    /// True for a heap whose payload arrived whole (every byte up to its length). False only for
    /// heaps delivered because <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/> is set:
    /// such a heap holds only its immediate items, as spead2's incomplete heaps do, because the
    /// extent of an addressed item cannot be trusted when payload is missing.
    /// </summary>
    public bool IsComplete { get; }

    /// <summary>The HEAP_LENGTH the packets declared, or -1 if none did.</summary>
    public long HeapLength { get; }

    /// <summary>Payload bytes received for the heap.</summary>
    public long ReceivedLength { get; }

    /// <summary>
    /// The items, IDs 1 to 4 and NULL (0) left out. The list must not be modified (it is the
    /// heap's own array).
    /// </summary>
    public IReadOnlyList<ReceivedItem> Items => _items;

    /// <summary>The items as a span, for allocation-free loops.</summary>
    public ReadOnlySpan<ReceivedItem> ItemSpan => _items;

    /// <summary>True if the heap carries the stream-control item with value 0 (start of stream).</summary>
    public bool IsStartOfStream => HasControl(StartValue);

    /// <summary>
    /// True if the heap carries the stream-control item with value 2 (stop). Such a heap is only
    /// ever delivered when it was incomplete or when stopping on the stop item is turned off.
    /// </summary>
    public bool IsEndOfStream => HasControl(StopValue);

    /// <summary>Finds the first item with the given ID.</summary>
    /// <param name="id">The item ID.</param>
    /// <param name="item">The item when found.</param>
    /// <returns>Whether the heap holds an item with that ID.</returns>
    public bool TryGetItem(long id, out ReceivedItem item)
    {
        foreach (ref readonly var candidate in _items.AsSpan())
        {
            if (candidate.Id == id)
            {
                item = candidate;
                return true;
            }
        }
        item = default;
        return false;
    }

    /// <summary>Returns the payload buffer to the pool; the item bytes must not be used afterwards.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        _items = [];
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private bool HasControl(long value)
    {
        foreach (ref readonly var item in _items.AsSpan())
        {
            if (item.Id == StreamCtrlId && ReadBigEndian(item.Span) == value)
                return true;
        }
        return false;
    }

    /// <summary>Reads up to 8 bytes as an unsigned big-endian integer.</summary>
    internal static long ReadBigEndian(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
            bytes = bytes.Slice(bytes.Length - 8);
        ulong value = 0;
        foreach (byte b in bytes)
            value = (value << 8) | b;
        return (long)value;
    }
}
