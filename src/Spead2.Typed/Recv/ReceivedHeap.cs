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
    // Flavours are immutable; one per (HAB, bug compat) pair avoids an allocation per heap.
    private static readonly Flavour?[] Flavours = new Flavour?[8 * 8];

    private ReceivedItem[] _items;
    private byte[]? _buffer;

    internal ReceivedHeap(long cnt, Flavour flavour, ReceivedItem[] items, byte[]? buffer,
        bool isComplete, long heapLength, long receivedLength, (long Start, long End)[] payloadRanges)
    {
        PayloadRanges = payloadRanges;
        Cnt = cnt;
        Flavour = flavour;
        _items = items;
        _buffer = buffer;
        IsComplete = isComplete;
        HeapLength = heapLength;
        ReceivedLength = receivedLength;
    }

    /// <summary>The heap counter (HEAP_CNT) shared by the heap's packets.</summary>
    public long Cnt { get; }

    /// <summary>
    /// The flavour: heap address bits from the packets, bug-compat bits from the receiver's
    /// configuration (they are never on the wire).
    /// </summary>
    public Flavour Flavour { get; }

    /// <summary>Heap address bits of the flavour the packets carried.</summary>
    public int HeapAddressBits => Flavour.HeapAddressBits;

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
    /// For an incomplete heap, the payload byte ranges [Start, End) that arrived, in order
    /// (spead2's payload ranges); empty for a complete heap.
    /// </summary>
    public IReadOnlyList<(long Start, long End)> PayloadRanges { get; }

    /// <summary>
    /// The items, IDs 1 to 4 and NULL (0) left out; descriptor (5) and stream-control (6) items
    /// are included, as in spead2's C++ heaps. The list must not be modified (it is the heap's own
    /// array).
    /// </summary>
    public IReadOnlyList<ReceivedItem> Items => _items;

    /// <summary>The items as a span, for allocation-free loops.</summary>
    public ReadOnlySpan<ReceivedItem> ItemSpan => _items;

    /// <summary>True if the heap carries the stream-control item with value 0 (start of stream).</summary>
    public bool IsStartOfStream => HasControl((long)StreamControl.Start);

    /// <summary>
    /// True if the heap carries the stream-control item with value 2 (stop). Such a heap is only
    /// ever delivered when it was incomplete or when stopping on the stop item is turned off.
    /// </summary>
    public bool IsEndOfStream => HasControl((long)StreamControl.Stop);

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

    /// <summary>
    /// The descriptors the heap carries, as sent (spead2's raw descriptors): each DESCRIPTOR item
    /// is decoded as a nested SPEAD stream of the heap's flavour. Descriptors without an ID are
    /// skipped, as in spead2. Never throws for bad bytes.
    /// </summary>
    /// <returns>The raw descriptors in item order.</returns>
    public IReadOnlyList<RawDescriptor> GetRawDescriptors() => DescriptorDecoder.Decode(this);

    /// <summary>
    /// The descriptors the heap carries, converted to <see cref="Descriptor"/>s (numpy headers
    /// parsed, the byte order swapped back under <see cref="BugCompat.SwapEndian"/>).
    /// </summary>
    /// <returns>The descriptors in item order.</returns>
    /// <exception cref="InvalidDataException">A descriptor is not one spead2 would accept.</exception>
    public IReadOnlyList<Descriptor> GetDescriptors()
    {
        var raw = GetRawDescriptors();
        var result = new Descriptor[raw.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = raw[i].ToDescriptor(Flavour.BugCompat);
        return result;
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
            if (item.Id == ItemIds.StreamCtrl && ReadBigEndian(item.Span) == value)
                return true;
        }
        return false;
    }

    /// <summary>A short text for debugging, e.g. <c>Heap 5 (SPEAD-64-40): 3 items, 4096 bytes</c>.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Heap {Cnt} ({Flavour}): {_items.Length} items, {ReceivedLength} bytes{(IsComplete ? "" : $" of {HeapLength}, incomplete")}");

    internal static Flavour GetFlavour(int heapAddressBits, BugCompat bugCompat)
    {
        int index = (heapAddressBits / 8) * 8 + (int)bugCompat;
        return Flavours[index] ??= new Flavour(heapAddressBits: heapAddressBits, bugCompat: bugCompat);
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
