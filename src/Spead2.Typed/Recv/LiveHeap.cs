using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>Why the assembler refused a well-formed packet.</summary>
internal enum PacketRejection
{
    None = 0,
    /// <summary>HEAP_LENGTH differs from the value already seen for the heap.</summary>
    InconsistentHeapLength,
    /// <summary>HEAP_LENGTH is below an address already seen for the heap.</summary>
    HeapLengthTooSmall,
    /// <summary>The packet's flavour differs from the heap's.</summary>
    InconsistentFlavour,
    /// <summary>In-order mode: the payload does not start where the previous packet ended.</summary>
    OutOfOrder,
    /// <summary>Out-of-order mode: the payload duplicates or overlaps bytes already received.</summary>
    Duplicate,
    /// <summary>The heap's length exceeds <see cref="ReceiveStreamConfig.MaxHeapSize"/>.</summary>
    HeapTooLarge,
    /// <summary>The packet has no HEAP_LENGTH and unsized heaps are not allowed.</summary>
    Unsized,
    /// <summary>The heap would hold more item pointers than <see cref="ReceiveStreamConfig.MaxHeapPointers"/>.</summary>
    TooManyPointers,
    /// <summary>Out-of-order mode: the payload would be split into too many separate pieces.</summary>
    TooFragmented,
}

/// <summary>
/// A heap being assembled from packets (spead2's live heap). Objects are reused across heaps:
/// only the payload buffer changes hands, to the delivered <see cref="ReceivedHeap"/>; both the
/// buffer and the delivered heap object come from the receiver's <see cref="HeapPool"/>.
/// </summary>
internal sealed class LiveHeap(HeapPool pool)
{
    // Up to this many distinct pointers the duplicate check is a linear scan; beyond it a set.
    private const int LinearPointerLimit = 16;
    private const int InitialReservation = 1 << 20;
    // Memory guard for out-of-order mode: separate received ranges one heap may have (each
    // packet adds at most one).
    internal const int MaxRanges = 1 << 16;

    private ulong[] _pointers = new ulong[32];
    private int _pointerCount;
    private readonly HashSet<ulong> _pointerSet = [];
    // Received payload ranges, sorted by start and never adjacent (out-of-order mode only).
    private readonly List<(long Start, long End)> _ranges = [];
    private byte[]? _payload;
    private readonly HeapPool _pool = pool;

    public long Cnt { get; private set; }
    public int HeapAddressBits { get; private set; }
    public long HeapLength { get; private set; } = -1;
    public long ReceivedLength { get; private set; }
    /// <summary>The larger of the payload extent and the highest address seen.</summary>
    public long MinLength { get; private set; }
    public bool EndOfStream { get; private set; }
    public bool InUse { get; private set; }
    public int BufferCapacity => _payload?.Length ?? 0;

    public bool IsComplete => ReceivedLength == HeapLength && ReceivedLength == MinLength;
    public bool IsContiguous => ReceivedLength == MinLength;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Start(in PacketHeader packet)
    {
        Cnt = packet.HeapCnt;
        HeapAddressBits = packet.HeapAddressBits;
        HeapLength = -1;
        ReceivedLength = 0;
        MinLength = 0;
        EndOfStream = false;
        _pointerCount = 0;
        _pointerSet.Clear();
        _ranges.Clear();
        InUse = true;
    }

    /// <summary>Adds a packet; on rejection nothing changes.</summary>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PacketRejection AddPacket(ReadOnlySpan<byte> data, in PacketHeader packet, bool allowOutOfOrder, int maxPointers)
    {
        if (HeapLength >= 0 && packet.HeapLength >= 0 && packet.HeapLength != HeapLength)
            return PacketRejection.InconsistentHeapLength;
        if (packet.HeapLength >= 0 && packet.HeapLength < MinLength)
            return PacketRejection.HeapLengthTooSmall;
        if (packet.HeapAddressBits != HeapAddressBits)
            return PacketRejection.InconsistentFlavour;
        long end = packet.PayloadOffset + packet.PayloadLength;
        // Memory guard (not in spead2): packets may carry no payload, so without a limit one heap
        // could collect pointers forever.
        if (_pointerCount + packet.ItemPointerCount > maxPointers && _pointerCount + CountNewPointers(data, packet) > maxPointers)
            return PacketRejection.TooManyPointers;

        if (allowOutOfOrder)
        {
            var added = TryAddRange(packet.PayloadOffset, end);
            if (added != PacketRejection.None)
                return added;
        }
        else if (packet.PayloadOffset != ReceivedLength)
        {
            return PacketRejection.OutOfOrder;
        }

        // Accepted from here on.
        if (packet.HeapLength >= 0)
        {
            if (HeapLength < 0)
            {
                HeapLength = packet.HeapLength;
                MinLength = Math.Max(MinLength, HeapLength);
            }
        }
        else
        {
            MinLength = Math.Max(MinLength, end);
        }

        // Packets after a heap's first usually carry only the four packet-describing immediates.
        if (packet.ItemPointerCount > 0)
            AddPointers(data.Slice(8, 8 * packet.PointerCount));

        if (packet.PayloadLength > 0)
        {
            EnsurePayload(end);
            data.Slice(packet.PayloadStart, packet.PayloadLength).CopyTo(_payload.AsSpan((int)packet.PayloadOffset));
            ReceivedLength += packet.PayloadLength;
        }
        return PacketRejection.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddPointers(ReadOnlySpan<byte> pointers)
    {
        int hab = HeapAddressBits;
        ulong addressMask = (1UL << hab) - 1;
        for (int i = 0; i < pointers.Length; i += 8)
        {
            ulong pointer = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(i));
            bool immediate = (pointer & PacketDecoder.ImmediateFlag) != 0;
            if (!immediate)
                MinLength = Math.Max(MinLength, (long)(pointer & addressMask));
            long id = PacketDecoder.GetId(pointer, hab);
            // IDs 1-4 describe the packet, not the heap. NULL (0) is kept: as an addressed
            // pointer it marks where the item before it ends.
            if (id is >= ItemIds.HeapCnt and <= ItemIds.PayloadLength)
                continue;
            if (Contains(pointer))
                continue;
            AppendPointer(pointer);
            if (id == ItemIds.StreamCtrl && immediate && (long)(pointer & addressMask) == (long)StreamControl.Stop)
                EndOfStream = true;
        }
    }

    /// <summary>How many pointers of the packet the heap would keep (not special, not seen yet).</summary>
    private int CountNewPointers(ReadOnlySpan<byte> data, in PacketHeader packet)
    {
        int hab = HeapAddressBits;
        var pointers = data.Slice(8, 8 * packet.PointerCount);
        int count = 0;
        for (int i = 0; i < pointers.Length; i += 8)
        {
            ulong pointer = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(i));
            long id = PacketDecoder.GetId(pointer, hab);
            if (id is < ItemIds.HeapCnt or > ItemIds.PayloadLength && !Contains(pointer))
                count++;
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Contains(ulong pointer)
    {
        if (_pointerCount <= LinearPointerLimit)
            return _pointers.AsSpan(0, _pointerCount).Contains(pointer);
        return _pointerSet.Contains(pointer);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AppendPointer(ulong pointer)
    {
        if (_pointerCount == _pointers.Length)
            Array.Resize(ref _pointers, _pointers.Length * 2);
        _pointers[_pointerCount++] = pointer;
        if (_pointerCount == LinearPointerLimit + 1)
        {
            foreach (ulong p in _pointers.AsSpan(0, _pointerCount))
                _pointerSet.Add(p);
        }
        else if (_pointerCount > LinearPointerLimit + 1)
        {
            _pointerSet.Add(pointer);
        }
    }

    /// <summary>Records [start, end) as received unless it meets bytes already received.</summary>
    private PacketRejection TryAddRange(long start, long end)
    {
        // First range that starts after `start`.
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ranges[mid].Start <= start)
                lo = mid + 1;
            else
                hi = mid;
        }
        int next = lo;
        if (next < _ranges.Count && _ranges[next].Start < end)
            return PacketRejection.Duplicate;       // overlaps the following range
        int index;
        if (next == 0 || _ranges[next - 1].End < start)
        {
            bool joinsNext = next < _ranges.Count && _ranges[next].Start == end;
            if (!joinsNext && _ranges.Count >= MaxRanges)
                return PacketRejection.TooFragmented;
            _ranges.Insert(next, (start, end));
            index = next;
        }
        else if (_ranges[next - 1].End == start)
        {
            index = next - 1;
            _ranges[index] = (_ranges[index].Start, end);
        }
        else
        {
            return PacketRejection.Duplicate;       // duplicate or overlap with the previous range
        }
        if (index + 1 < _ranges.Count && _ranges[index + 1].Start == end)
        {
            _ranges[index] = (_ranges[index].Start, _ranges[index + 1].End);
            _ranges.RemoveAt(index + 1);
        }
        return PacketRejection.None;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EnsurePayload(long needed)
    {
        int current = _payload?.Length ?? 0;
        if (needed <= current)
            return;
        // A declared HEAP_LENGTH is reserved at once up to 1 MiB (one rental for typical heaps);
        // beyond that the buffer grows by doubling as data arrives, so that a packet merely
        // claiming a huge heap does not cost a huge buffer.
        long target = Math.Max(needed, Math.Max(HeapLength >= 0 ? InitialReservation : 4096, 2L * current));
        if (HeapLength >= 0)
            target = Math.Min(target, Math.Max(needed, HeapLength));
        var fresh = _pool.RentBuffer((int)Math.Min(target, Array.MaxLength));
        if (_payload is not null)
        {
            // Only unsized heaps, or sized ones beyond the first reservation, get here twice.
            _payload.AsSpan(0, (int)Math.Min(MinLength, _payload.Length)).CopyTo(fresh);
            _pool.ReturnBuffer(_payload);
        }
        _payload = fresh;
    }

    /// <summary>
    /// Turns the live heap into a delivered heap (spead2's heap load): sorts the pointers on
    /// (mode, address/value), sizes addressed items from address differences and copies the
    /// immediates' value fields. With <paramref name="keepAddressed"/> false (an incomplete heap)
    /// only immediates survive. Leaves this object free for reuse. The payload buffer moves to
    /// the delivered heap as it is: addressed items are views of it, never copies.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReceivedHeap Freeze(bool keepAddressed, BugCompat bugCompat, HeapIncompleteReason reason = HeapIncompleteReason.None)
    {
        int hab = HeapAddressBits;
        int immediateSize = hab / 8;
        ulong sortMask = PacketDecoder.ImmediateFlag | ((1UL << hab) - 1);
        ulong valueMask = (1UL << hab) - 1;
        var pointers = _pointers.AsSpan(0, _pointerCount);
        StableSort(pointers, sortMask);

        // First pass: how many items the heap will report (exactly, so the item array can be reused).
        int immediates = 0, count = 0;
        for (int i = 0; i < pointers.Length; i++)
        {
            ulong p = pointers[i];
            if (PacketDecoder.GetId(p, hab) == 0)
                continue;
            if ((p & PacketDecoder.ImmediateFlag) != 0)
            {
                immediates++;
                count++;
            }
            else if (keepAddressed && AddressedEnd(pointers, i, valueMask) != (long)(p & valueMask))
            {
                count++;   // zero-length items are not reported
            }
        }

        var heap = _pool.RentHeap();
        var items = heap.PrepareItems(count);
        var immediateBytes = heap.PrepareImmediates(immediates * immediateSize);
        long payloadLength = keepAddressed ? MinLength : 0;
        byte[]? buffer = _payload;
        _payload = null;
        if (payloadLength == 0 && buffer is not null)
        {
            _pool.ReturnBuffer(buffer);
            buffer = null;
        }

        int n = 0;
        int nextImmediate = 0;
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < pointers.Length; i++)
        {
            ulong p = pointers[i];
            long id = PacketDecoder.GetId(p, hab);
            if (id == 0)
                continue;
            if ((p & PacketDecoder.ImmediateFlag) != 0)
            {
                BinaryPrimitives.WriteUInt64BigEndian(word, p);
                word.Slice(8 - immediateSize).CopyTo(immediateBytes.AsSpan(nextImmediate));
                items[n++] = new ReceivedItem(id, true, (long)(p & valueMask), new ReadOnlyMemory<byte>(immediateBytes, nextImmediate, immediateSize));
                nextImmediate += immediateSize;
            }
            else if (keepAddressed)
            {
                long start = (long)(p & valueMask);
                long end = AddressedEnd(pointers, i, valueMask);
                if (start == end)
                    continue;
                items[n++] = new ReceivedItem(id, false, 0, new ReadOnlyMemory<byte>(buffer, (int)start, (int)(end - start)));
            }
        }

        // An incomplete heap says which payload bytes did arrive (spead2's payload ranges); in-order
        // mode keeps no ranges, but there the received bytes are always a prefix.
        (long, long)[] ranges = keepAddressed ? [] : _ranges.Count > 0 ? [.. _ranges]
            : ReceivedLength > 0 ? [(0, ReceivedLength)] : [];
        heap.Initialise(Cnt, ReceivedHeap.GetFlavour(hab, bugCompat), buffer, keepAddressed, HeapLength, ReceivedLength,
            ranges, reason, _pool);
        Release();
        return heap;
    }

    /// <summary>Where the addressed item at sorted position <paramref name="i"/> ends: the next address, or the heap's end.</summary>
    private long AddressedEnd(ReadOnlySpan<ulong> pointers, int i, ulong valueMask) =>
        i + 1 < pointers.Length && (pointers[i + 1] & PacketDecoder.ImmediateFlag) == 0
            ? (long)(pointers[i + 1] & valueMask)
            : MinLength;

    /// <summary>Drops the heap's state and returns its buffer to the pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Release()
    {
        if (_payload is not null)
        {
            _pool.ReturnBuffer(_payload);
            _payload = null;
        }
        _pointerCount = 0;
        _pointerSet.Clear();
        _ranges.Clear();
        InUse = false;
    }

    /// <summary>Insertion sort for short lists, a merge sort otherwise; both stable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StableSort(Span<ulong> values, ulong mask)
    {
        if (values.Length <= 32)
        {
            for (int i = 1; i < values.Length; i++)
            {
                ulong v = values[i];
                ulong key = v & mask;
                int j = i - 1;
                while (j >= 0 && (values[j] & mask) > key)
                {
                    values[j + 1] = values[j];
                    j--;
                }
                values[j + 1] = v;
            }
            return;
        }
        var scratch = ArrayPool<ulong>.Shared.Rent(values.Length);
        MergeSort(values, scratch.AsSpan(0, values.Length), mask);
        ArrayPool<ulong>.Shared.Return(scratch);
    }

    private static void MergeSort(Span<ulong> values, Span<ulong> scratch, ulong mask)
    {
        if (values.Length <= 32)
        {
            StableSort(values, mask);
            return;
        }
        int half = values.Length / 2;
        MergeSort(values.Slice(0, half), scratch.Slice(0, half), mask);
        MergeSort(values.Slice(half), scratch.Slice(half), mask);
        values.CopyTo(scratch);
        int a = 0, b = half, o = 0;
        while (a < half && b < values.Length)
        {
            // Take from the left run on ties: that keeps the sort stable.
            if ((scratch[b] & mask) < (scratch[a] & mask))
                values[o++] = scratch[b++];
            else
                values[o++] = scratch[a++];
        }
        while (a < half)
            values[o++] = scratch[a++];
        while (b < values.Length)
            values[o++] = scratch[b++];
    }
}
