using System.Runtime.CompilerServices;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>Why a heap left the receiver with payload missing (see <see cref="ReceivedHeap.IncompleteReason"/>).</summary>
public enum HeapIncompleteReason
{
    /// <summary>The heap is complete.</summary>
    None = 0,

    /// <summary>
    /// A packet of a newer heap needed the heap's slot (<see cref="ReceiveStreamConfig.MaxHeaps"/> heaps are
    /// assembled at once): the rest of its packets were lost, or arrive too late or interleaved with too
    /// many other heaps. Counted in <see cref="ReceiveStatistics.IncompleteHeapsEvicted"/>.
    /// </summary>
    Evicted,

    /// <summary>
    /// The stream stopped (stop item, end of a TCP connection or buffer, <see cref="ReceiveStream.Stop"/>) or
    /// was flushed while the heap was still open. Counted in <see cref="ReceiveStatistics.IncompleteHeapsFlushed"/>.
    /// </summary>
    Flushed,
}

/// <summary>
/// A heap that left the receiver: its cnt, its flavour and its items, ordered as spead2 orders
/// them (addressed items by address, then immediates by value; never the wire order). The item
/// bytes live in memory owned by the receiver: <see cref="Dispose"/> gives the memory and this
/// object back to the receiver's pool, after which neither the heap nor any
/// <see cref="ReceivedItem.Value"/> or <see cref="Items"/> list taken from it may be used (the
/// object will carry another heap). Dispose once per heap received. Not disposing is safe; the
/// memory is then left to the garbage collector and the receiver allocates afresh.
/// </summary>
public sealed class ReceivedHeap : IDisposable
{
    // Flavours are immutable; one per (HAB, bug compat) pair avoids an allocation per heap.
    private static readonly Flavour?[] Flavours = new Flavour?[8 * 8];

    // What the consumer sees; [] once disposed.
    private ReceivedItem[] _items = [];
    // Kept across reuse of this object: heaps of one stream usually have the same number of items,
    // so the array is allocated once.
    private ReceivedItem[] _itemStore = [];
    // The immediates' value bytes, also kept across reuse (not in the payload buffer, so that the
    // payload buffer never has to grow, and be copied, at the end of a heap).
    private byte[] _immediateStore = [];
    private byte[]? _buffer;
    private HeapPool? _pool;
    private int _disposed = 1;

    internal ReceivedHeap()
    {
        PayloadRanges = [];
        Flavour = GetFlavour(40, BugCompat.None);
    }

    /// <summary>An item array of exactly <paramref name="count"/> entries, reused when the size matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ReceivedItem[] PrepareItems(int count)
    {
        if (_itemStore.Length != count)
            _itemStore = count == 0 ? [] : new ReceivedItem[count];
        return _itemStore;
    }

    /// <summary>Room for the immediates' value bytes (at least <paramref name="bytes"/>).</summary>
    internal byte[] PrepareImmediates(int bytes)
    {
        if (_immediateStore.Length < bytes)
            _immediateStore = new byte[Math.Max(bytes, 64)];
        return _immediateStore;
    }

    /// <summary>Fills a pooled object (after <see cref="PrepareItems"/> filled its items).</summary>
    internal void Initialise(long cnt, Flavour flavour, byte[]? buffer, bool isComplete, long heapLength,
        long receivedLength, (long Start, long End)[] payloadRanges, HeapIncompleteReason reason, HeapPool? pool)
    {
        Cnt = cnt;
        Flavour = flavour;
        _buffer = buffer;
        IsComplete = isComplete;
        HeapLength = heapLength;
        ReceivedLength = receivedLength;
        PayloadRanges = payloadRanges;
        IncompleteReason = reason;
        _pool = pool;
        _items = _itemStore;
        Volatile.Write(ref _disposed, 0);
    }

    /// <summary>The heap counter (HEAP_CNT) shared by the heap's packets.</summary>
    public long Cnt { get; private set; }

    /// <summary>
    /// The flavour: heap address bits from the packets, bug-compat bits from the receiver's
    /// configuration (they are never on the wire).
    /// </summary>
    public Flavour Flavour { get; private set; }

    /// <summary>Heap address bits of the flavour the packets carried.</summary>
    public int HeapAddressBits => Flavour.HeapAddressBits;

    /// <summary>
    /// True for a heap whose payload arrived whole (every byte up to its length). False only for
    /// heaps delivered because <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/> is set:
    /// such a heap holds only its immediate items, as spead2's incomplete heaps do, because the
    /// extent of an addressed item cannot be trusted when payload is missing.
    /// </summary>
    public bool IsComplete { get; private set; }

    /// <summary>The HEAP_LENGTH the packets declared, or -1 if none did.</summary>
    public long HeapLength { get; private set; }

    /// <summary>Payload bytes received for the heap.</summary>
    public long ReceivedLength { get; private set; }

    /// <summary>
    /// For an incomplete heap, the payload byte ranges [Start, End) that arrived, in order
    /// (spead2's payload ranges); empty for a complete heap.
    /// </summary>
    public IReadOnlyList<(long Start, long End)> PayloadRanges { get; private set; }

    /// <summary>
    /// Why payload is missing: <see cref="HeapIncompleteReason.None"/> for a complete heap, otherwise
    /// whether a newer heap evicted it or the stream stopped with it open.
    /// </summary>
    public HeapIncompleteReason IncompleteReason { get; private set; }

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

    /// <summary>
    /// Gives the payload memory and this object back to the receiver's pool; the heap, its items and
    /// their bytes must not be used afterwards. A second call before the object is reused does nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        var buffer = _buffer;
        var pool = _pool;
        _buffer = null;
        _pool = null;
        _items = [];
        if (pool is null)
            return;
        if (buffer is not null)
            pool.ReturnBuffer(buffer);
        pool.ReturnHeap(this);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
