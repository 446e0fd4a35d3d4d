using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Turns packets into heaps the way spead2's receive stream does: packets are grouped by heap
/// cnt into <see cref="ReceiveStreamConfig.MaxHeaps"/> slots taken round-robin (a new heap evicts
/// the slot's occupant), complete heaps leave at once, and a stop item ends the stream. This is
/// the synchronous core under <see cref="ReceiveStream"/>; use it directly to decode packets you
/// already hold. Not thread-safe.
/// </summary>
internal sealed class HeapAssembler
{
    private readonly ReceiveStreamConfig _config;

    /// <summary>The stream's logger, from <see cref="ReceiveStreamConfig.LoggerFactory"/> (a null logger without one).</summary>
    internal ILogger Logger { get; }
    // Substream k owns slots [k * MaxHeaps, (k + 1) * MaxHeaps); _heads[k] is the slot it used last.
    private readonly LiveHeap[] _slots;
    private readonly int[] _heads;
    private readonly Dictionary<long, int> _index;
    // The last entry looked up or added in _index (or -1): consecutive packets nearly always belong to
    // the same heap, and this spares them the dictionary. Kept equal to _index[_lastCnt] whenever set.
    private int _lastSlot = -1;
    private long _lastCnt;
    private readonly HeapPool _pool;

    private long _heaps, _incompleteHeaps, _evicted, _flushed, _packets, _bytes, _malformed, _rejected, _skipped, _kernelDrops;
    // Rejections by reason, indexed by PacketRejection.
    private readonly long[] _rejections = new long[(int)PacketRejection.TooFragmented + 1];

    /// <summary>Creates an assembler.</summary>
    /// <param name="config">Settings; copied, so later changes have no effect. Defaults if null.</param>
    public HeapAssembler(ReceiveStreamConfig? config = null)
    {
        _config = (config ?? new ReceiveStreamConfig()).Clone();
        Logger = _config.LoggerFactory?.CreateLogger<ReceiveStream>() ?? (ILogger)NullLogger.Instance;
        if ((long)_config.MaxHeaps * _config.Substreams > ReceiveStreamConfig.MaxMaxHeaps)
        {
            throw new ArgumentOutOfRangeException(nameof(config), _config.MaxHeaps * (long)_config.Substreams,
                $"MaxHeaps × Substreams may not exceed {ReceiveStreamConfig.MaxMaxHeaps} slots.");
        }

        _slots = new LiveHeap[_config.MaxHeaps * _config.Substreams];
        // Enough free memory for every slot and every heap waiting in the ring to be recycled, plus
        // a few the consumer may be holding.
        _pool = new HeapPool(Math.Min(_slots.Length + _config.RingHeaps + 8, 4096));
        for (int i = 0; i < _slots.Length; i++)
            _slots[i] = new LiveHeap(_pool);
        _heads = new int[_config.Substreams];
        for (int k = 0; k < _heads.Length; k++)
            _heads[k] = _config.MaxHeaps - 1;   // the first heap of each substream takes its first slot
        _index = new Dictionary<long, int>(_slots.Length);
    }

    /// <summary>The settings in force (a private copy).</summary>
    internal ReceiveStreamConfig Config => _config;

    /// <summary>True once a stop item arrived or <see cref="Stop"/> was called; later packets are ignored.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The counters so far.</summary>
    public ReceiveStatistics Statistics => new(
        _heaps, _incompleteHeaps, _evicted, _flushed, _packets, _bytes, _malformed, _rejected, _skipped)
    {
        RejectedOutOfOrder = _rejections[(int)PacketRejection.OutOfOrder],
        RejectedDuplicates = _rejections[(int)PacketRejection.Duplicate],
        RejectedInconsistent = _rejections[(int)PacketRejection.InconsistentHeapLength]
            + _rejections[(int)PacketRejection.HeapLengthTooSmall] + _rejections[(int)PacketRejection.InconsistentFlavour],
        RejectedOverLimits = _rejections[(int)PacketRejection.HeapTooLarge]
            + _rejections[(int)PacketRejection.TooManyPointers] + _rejections[(int)PacketRejection.TooFragmented],
        RejectedUnsized = _rejections[(int)PacketRejection.Unsized],
        KernelDroppedPackets = _kernelDrops,
    };

    /// <summary>
    /// Decodes one packet and adds it. Heaps that leave the assembler as a result (completed,
    /// evicted, or flushed by a stop item) are appended to <paramref name="ready"/>.
    /// </summary>
    /// <param name="packet">Exactly one packet, or a packet followed by other bytes if
    /// <paramref name="requireExactLength"/> is false.</param>
    /// <param name="ready">Receives the heaps that are ready.</param>
    /// <param name="requireExactLength">Drop the packet if bytes follow it (datagram rule).</param>
    /// <returns>The decoding result; a malformed packet is counted and dropped. Once the assembler
    /// has stopped, packets are ignored (not decoded, not counted) and the result is
    /// <see cref="PacketStatus.Ok"/>. To walk concatenated packets, take each one's size from
    /// <see cref="PacketDecoder.Decode"/>.</returns>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PacketStatus AddPacket(ReadOnlySpan<byte> packet, ICollection<ReceivedHeap> ready, bool requireExactLength = true)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (IsStopped)
            return PacketStatus.Ok;
        var status = PacketDecoder.Decode(packet, out var header, requireExactLength);
        if (status != PacketStatus.Ok)
        {
            _malformed++;
            return status;
        }
        Add(packet, header, ready);
        return status;
    }

    /// <summary>Adds a decoded packet; returns why it was refused, if it was.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal PacketRejection Add(ReadOnlySpan<byte> data, in PacketHeader packet, ICollection<ReceivedHeap> ready)
    {
        if (IsStopped)
            return PacketRejection.None;
        _packets++;
        _bytes += packet.Size;
        var rejection = AddCore(data, packet, ready);
        if (rejection != PacketRejection.None)
        {
            _rejected++;
            _rejections[(int)rejection]++;
        }
        return rejection;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private PacketRejection AddCore(ReadOnlySpan<byte> data, in PacketHeader packet, ICollection<ReceivedHeap> ready)
    {
        if (packet.HeapLength < 0 && !_config.AllowUnsizedHeaps)
            return PacketRejection.Unsized;
        // Memory guards (not in spead2), checked before a slot is taken so that a new heap's
        // first packet is never refused after its slot was given to it.
        if (packet.HeapLength > _config.MaxHeapSize || packet.PayloadOffset + packet.PayloadLength > _config.MaxHeapSize)
            return PacketRejection.HeapTooLarge;
        if (packet.PointerCount > _config.MaxHeapPointers)
            return PacketRejection.TooManyPointers;

        // A packet that is a whole heap by itself never joins an open heap (spead2 does the same).
        bool singlePacket = packet.HeapLength >= 0 && packet.PayloadLength == packet.HeapLength;
        int slot = -1;
        if (!singlePacket)
        {
            if (_lastSlot >= 0 && _lastCnt == packet.HeapCnt)
            {
                slot = _lastSlot;
            }
            else if (_index.TryGetValue(packet.HeapCnt, out int found))
            {
                slot = found;
                _lastSlot = found;
                _lastCnt = packet.HeapCnt;
            }
        }

        // A single-packet heap may share its cnt with an open heap; remember that heap's slot so
        // the index can point at it again once the single-packet heap has left.
        int shadowed = -1;
        if (singlePacket && _index.TryGetValue(packet.HeapCnt, out int other))
            shadowed = other;

        if (slot < 0)
        {
            if (!_config.AllowOutOfOrder && packet.PayloadOffset != 0)
                return PacketRejection.OutOfOrder;
            int substream = (int)(packet.HeapCnt % _heads.Length);
            int head = _heads[substream] + 1 == _config.MaxHeaps ? 0 : _heads[substream] + 1;
            _heads[substream] = head;
            slot = substream * _config.MaxHeaps + head;
            var occupant = _slots[slot];
            if (occupant.InUse)
            {
                _evicted++;
                Unindex(occupant.Cnt, slot);
                Retire(occupant, ready, HeapIncompleteReason.Evicted);
            }
            occupant.Start(packet);
            _index[packet.HeapCnt] = slot;
            _lastSlot = slot;
            _lastCnt = packet.HeapCnt;
        }

        var heap = _slots[slot];
        var rejection = heap.AddPacket(data, packet, _config.AllowOutOfOrder, _config.MaxHeapPointers);
        if (rejection != PacketRejection.None)
            return rejection;

        bool endOfStream = _config.StopOnStopItem && heap.EndOfStream;
        if (heap.IsComplete)
        {
            Unindex(heap.Cnt, slot);
            if (shadowed >= 0 && shadowed != slot && _slots[shadowed].InUse && _slots[shadowed].Cnt == heap.Cnt)
            {
                _index[heap.Cnt] = shadowed;
                _lastSlot = -1;
            }
            if (endOfStream)
            {
                heap.Release();     // spead2 never delivers a complete stop heap
            }
            else
            {
                _heaps++;
                ready.Add(heap.Freeze(keepAddressed: true, _config.BugCompat));
            }
        }
        if (endOfStream)
            Stop(ready);
        return PacketRejection.None;
    }

    /// <summary>
    /// Pushes every open heap out: contiguous ones are delivered, the others are dropped (or
    /// delivered flagged if incomplete heaps are wanted). The assembler keeps running.
    /// </summary>
    /// <param name="ready">Receives the heaps delivered.</param>
    public void Flush(ICollection<ReceivedHeap> ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        // Substream by substream, oldest first: the slot after the head would be evicted next.
        int maxHeaps = _config.MaxHeaps;
        for (int k = 0; k < _heads.Length; k++)
        {
            for (int i = 1; i <= maxHeaps; i++)
            {
                int slot = k * maxHeaps + (_heads[k] + i) % maxHeaps;
                var heap = _slots[slot];
                if (!heap.InUse)
                    continue;
                _flushed++;
                Unindex(heap.Cnt, slot);
                Retire(heap, ready, HeapIncompleteReason.Flushed);
            }
        }
    }

    /// <summary>Flushes and stops: later packets are ignored. Does nothing if already stopped.</summary>
    /// <param name="ready">Receives the heaps delivered by the flush.</param>
    public void Stop(ICollection<ReceivedHeap> ready)
    {
        if (IsStopped)
            return;
        IsStopped = true;
        Flush(ready);
    }

    /// <summary>Bytes of payload buffers held by open heaps (for memory-bound checks).</summary>
    internal long BufferedBytes
    {
        get
        {
            long total = 0;
            foreach (var slot in _slots)
                total += slot.BufferCapacity;
            return total;
        }
    }

    /// <summary>The receiver's memory pool (for tests).</summary>
    internal HeapPool Pool => _pool;

    /// <summary>Counts a packet or framing loss found by a reader before assembly.</summary>
    internal void CountMalformed() => _malformed++;

    /// <summary>Counts datagrams the OS reported dropping for a reader's socket.</summary>
    internal void CountKernelDrops(long datagrams) => _kernelDrops += datagrams;

    /// <summary>Counts bytes a byte-stream reader skipped.</summary>
    internal void CountSkipped(long bytes) => _skipped += bytes;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Unindex(long cnt, int slot)
    {
        if (_index.TryGetValue(cnt, out int current) && current == slot)
        {
            _index.Remove(cnt);
            if (_lastSlot == slot)
                _lastSlot = -1;
        }
    }

    private void Retire(LiveHeap heap, ICollection<ReceivedHeap> ready, HeapIncompleteReason reason)
    {
        if (heap.IsContiguous)
        {
            _heaps++;
            ready.Add(heap.Freeze(keepAddressed: true, _config.BugCompat));
            return;
        }
        _incompleteHeaps++;
        if (_config.DeliverIncompleteHeaps)
        {
            ready.Add(heap.Freeze(keepAddressed: false, _config.BugCompat, reason));
            return;
        }
        RecvLog.DroppedIncompleteHeap(Logger, heap.Cnt, heap.ReceivedLength, heap.HeapLength,
            reason == HeapIncompleteReason.Evicted ? "evicted by a newer heap" : "still open when the stream stopped");
        heap.Release();
    }
}
