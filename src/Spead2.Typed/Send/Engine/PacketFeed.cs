using Spead2.Send.Pacing;

namespace Spead2.Send.Engine;

/// <summary>
/// The writer side of a <see cref="SendStream"/>: on an <see cref="IOThreadPool"/> thread, it offers the queued
/// heaps' packets, paced, to the stream's <see cref="PacketTransport"/> one batch per run, and completes the heaps
/// the batch finished (spead2's <c>writer</c>).
/// </summary>
/// <remarks>
/// A transport fills a batch with <see cref="TryNext"/> (is there a packet, and may it go now?), writes the packet
/// from <see cref="Generator"/> however it likes (copied whole, or header plus payload by reference into
/// <see cref="Heap"/>), calls <see cref="Commit"/> with its size, and after sending reports failed packets with
/// <see cref="Fail"/>. Everything here runs on one pool thread at a time and allocates nothing per packet or heap.
/// </remarks>
internal sealed class PacketFeed : IOWork
{
    /// <summary>Most packets in one batch (spead2 batches up to 64 per sendmmsg).</summary>
    public const int MaxBatchPackets = 64;

    /// <summary>Upper bound on a batch's bytes, so that huge packet sizes do not mean huge batch buffers.</summary>
    private const int MaxBatchBytes = 1 << 20;

    private readonly SendStream _stream;
    private readonly PacketTransport _transport;
    private readonly SendStream.Slot[] _slots;
    private readonly long _slotMask;
    private readonly RateLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly CompletionDispatcher? _dispatcher;

    // Per packet of the current batch: the first slot of its group, whether it finishes the group, its size, and
    // the transport's error for it.
    private readonly long[] _packetGroup;
    private readonly bool[] _packetLast;
    private readonly int[] _packetLength;
    private readonly Exception?[] _errors;

    // Completions of one batch (a group each), handed over in one go.
    private readonly Completion[] _done;
    private int _doneCount;

    private int _count;
    private Stop _stop;
    private SendStream.Slot? _current;

    // Set by Commit when the next packet comes from the same heap inside an open burst: TryNext then needs neither
    // the queue nor the pacer's clock (most packets of a large heap).
    private bool _sameHeapNext;

    // Next slot to take a packet from, first slot of its group, and whether that group has begun.
    private long _active;
    private long _activeStart;
    private bool _groupStarted;

    // The tail as last read; re-read only when the writer catches up with it.
    private long _cachedTail;
    private long _wakeTimestamp;

    // Set when the feed went idle (instead of sitting out a pacing pause, if one was due), until it runs again.
    // A new feed starts idle.
    private bool _wasIdle = true;
    private bool _wakePending;
    private long _pendingWake;

    public PacketFeed(SendStream stream, PacketTransport transport, StreamConfig config, TimeProvider time, CompletionDispatcher? dispatcher)
    {
        _stream = stream;
        _transport = transport;
        _slots = stream.Slots;
        _slotMask = _slots.Length - 1;
        _time = time;
        _dispatcher = dispatcher;
        PacketSize = config.MaxPacketSize & ~7;
        MaxPackets = Math.Clamp(MaxBatchBytes / PacketSize, 1, MaxBatchPackets);
        _packetGroup = new long[MaxPackets];
        _packetLast = new bool[MaxPackets];
        _packetLength = new int[MaxPackets];
        _errors = new Exception?[MaxPackets];
        _done = new Completion[MaxPackets];
        _limiter = new RateLimiter(time, config.BurstSize, config.BurstRateRatio);
        DrainMayKeep = !transport.MayWaitOnPeer;
        transport.Open(PacketSize, MaxPackets);
    }

    /// <summary>Why the current batch ended.</summary>
    private enum Stop
    {
        /// <summary>The batch is full.</summary>
        Full,

        /// <summary>The pacer wants a pause until <see cref="_wakeTimestamp"/>.</summary>
        Sleep,

        /// <summary>Nothing is queued.</summary>
        Empty,

        /// <summary>The batch must be sent before the next group can be looked at (it was cancelled).</summary>
        Flush,
    }

    /// <summary>Largest packet the transport is given (the configured maximum, rounded down to 8 bytes).</summary>
    public int PacketSize { get; }

    /// <summary>Most packets in one batch.</summary>
    public int MaxPackets { get; }

    /// <summary>Packets taken into the current batch so far.</summary>
    public int Count => _count;

    /// <summary>The generator of the packet <see cref="TryNext"/> offered: write exactly one packet from it.</summary>
    public ref Packetizer Generator => ref _current!.Generator;

    /// <summary>The heap of the offered packet (its items' memory may be referenced until the batch is sent).</summary>
    public Heap Heap => _current!.Heap!;

    /// <summary>The destination of the offered packet.</summary>
    public int SubstreamIndex => _current!.SubstreamIndex;

    /// <summary>
    /// Offers the next packet of the batch (spead2's <c>get_packet</c>): true when there is one and the pacer lets
    /// it go now; false when the batch must be sent as it is (full, pacing pause, nothing queued). After true, the
    /// transport writes one packet from <see cref="Generator"/> and calls <see cref="Commit"/>.
    /// </summary>
    public bool TryNext()
    {
        if (_count == MaxPackets)
        {
            _stop = Stop.Full;
            return false;
        }
        if (_sameHeapNext)
        {
            _sameHeapNext = false;
            _current = _slots[_active & _slotMask];
            return true;
        }
        while (true)
        {
            bool available = _active != _cachedTail || (_cachedTail = Volatile.Read(ref _stream.Tail)) != _active;
            PacingResult pacing = _limiter.Next(available, out _wakeTimestamp);
            if (pacing == PacingResult.Sleep)
            {
                if (!available)
                {
                    // Nothing to send: go idle instead of sitting out the pause, so that disposal is not held up by
                    // it (for up to BurstSize / Rate, or forever on a stopped fake clock). The pacer still owes the
                    // pause and makes the next packet wait for it.
                    _pendingWake = _wakeTimestamp;
                    _wakePending = true;
                    _stop = Stop.Empty;
                    return false;
                }
                _stop = Stop.Sleep;
                return false;
            }
            if (pacing == PacingResult.Empty)
            {
                _stop = Stop.Empty;
                return false;
            }

            if (!_groupStarted)
            {
                // First packet of a group: claim it unless it was cancelled while queued.
                SendStream.Slot first = _slots[_activeStart & _slotMask];
                if (!first.Cancellable)
                {
                    // No token can cancel it: nothing but this feed touches its state (no interlocked operation, a
                    // measurable share of a single-packet heap's cost).
                    first.State = SendStream.GroupStarted;
                }
                else if (Interlocked.CompareExchange(ref first.State, SendStream.GroupStarted, SendStream.GroupQueued) != SendStream.GroupQueued)
                {
                    if (_count > 0)
                    {
                        // Earlier groups in this batch complete first, so completions stay in queue order.
                        _stop = Stop.Flush;
                        return false;
                    }
                    first.Registration.Dispose();
                    _active = first.GroupEnd;
                    _activeStart = _active;
                    CompleteGroups(1);
                    continue;
                }
                // Waits for a callback that is running right now (it will find the group started and do nothing).
                first.Registration.Dispose();
                _groupStarted = true;
            }
            _current = _slots[_active & _slotMask];
            return true;
        }
    }

    /// <summary>Books the packet just written from <see cref="Generator"/>: <paramref name="length"/> bytes.</summary>
    public void Commit(int length)
    {
        SendStream.Slot current = _current!;
        int index = _count;
        _packetGroup[index] = _activeStart;
        _packetLength[index] = length;
        _limiter.Account(length, current.WaitPerByte);
        long active = _active;
        bool last = Advance(current);
        _packetLast[index] = last;
        if (last)
        {
            _groupStarted = false;
        }
        _count = index + 1;
        _sameHeapNext = !last && _active == active && _count < MaxPackets && _limiter.InBurst;
        _current = null;
    }

    /// <summary>Reports that packet <paramref name="index"/> of the batch could not be sent.</summary>
    public void Fail(int index, Exception error)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        _errors[index] ??= error;
    }

    /// <inheritdoc/>
    public override IOWorkResult Run(out long wakeTimestamp)
    {
        wakeTimestamp = 0;
        try
        {
            if (_wasIdle)
            {
                _wasIdle = false;
                // Woken before the pause it skipped would have ended, spead2's writer would still be asleep, not
                // idle: only a wake after it counts as a wake from idle.
                if (!_wakePending || _time.GetTimestamp() >= _pendingWake)
                {
                    _limiter.WakeFromIdle();
                }
                _wakePending = false;
            }

            _stop = Stop.Full;
            _transport.SendBatch(this);
            if (_count > 0)
            {
                Book();
            }
            switch (_stop)
            {
                case Stop.Sleep:
                    // Nothing deferred may wait out a pacing pause.
                    _dispatcher?.Wake();
                    wakeTimestamp = _wakeTimestamp;
                    return IOWorkResult.Sleep;
                case Stop.Empty:
                    _dispatcher?.Wake();
                    return GoIdle();
                default:
                    return IOWorkResult.Continue;
            }
        }
        catch (Exception e)
        {
            // A bug or an unexpected runtime failure: no heap may be left hanging.
            _count = 0;
            _current = null;
            _stream.OnWriterFailed(e);
            return IOWorkResult.Idle;
        }
    }

    /// <inheritdoc/>
    public override void OnDetached() => _stream.OnDetached();

    private IOWorkResult GoIdle()
    {
        using (_stream.TailLock.EnterScope())
        {
            if (_stream.Tail != _active)
            {
                return IOWorkResult.Continue;
            }
            // The enqueuer clears the flag and schedules this feed again (spead2's request_wakeup).
            _stream.NeedWakeup = true;
            _wasIdle = true;
        }
        return IOWorkResult.Idle;
    }

    /// <summary>Moves to the slot that supplies the next packet; true when the group is finished.</summary>
    private bool Advance(SendStream.Slot current)
    {
        if (current.Mode == GroupMode.RoundRobin)
        {
            long nextActive = current.GroupNext;
            SendStream.Slot next = nextActive == _active ? current : _slots[nextActive & _slotMask];
            while (!next.Generator.HasNextPacket)
            {
                if (nextActive == _active)
                {
                    // All the way round without finding a packet: the group is exhausted.
                    _active = current.GroupEnd;
                    _activeStart = _active;
                    return true;
                }
                nextActive = next.GroupNext;
                next = _slots[nextActive & _slotMask];
            }
            // Remember the hop so exhausted heaps are skipped next time round.
            current.GroupNext = nextActive;
            _active = nextActive;
            return false;
        }
        else
        {
            SendStream.Slot next = current;
            while (!next.Generator.HasNextPacket)
            {
                _active++;
                if (_active == current.GroupEnd)
                {
                    _activeStart = _active;
                    return true;
                }
                next = _slots[_active & _slotMask];
            }
            return false;
        }
    }

    /// <summary>Books the sent batch: bytes and errors per group, metrics, and the groups it finished.</summary>
    private void Book()
    {
        int n = _count;
        long bytes = 0;
        int failed = 0;
        int finished = 0;
        for (int i = 0; i < n; i++)
        {
            SendStream.Slot group = _slots[_packetGroup[i] & _slotMask];
            if (_errors[i] is { } error)
            {
                group.FirstError ??= error;
                _errors[i] = null;
                failed++;
            }
            else
            {
                int length = _packetLength[i];
                group.BytesSent += length;
                bytes += length;
            }
            if (_packetLast[i])
            {
                finished++;
            }
        }
        _count = 0;

        _stream.Metrics.Packets.Add(n - failed);
        _stream.Metrics.Bytes.Add(bytes);
        if (failed > 0)
        {
            _stream.Metrics.PacketErrors.Add(failed);
        }
        if (finished > 0)
        {
            CompleteGroups(finished);
        }
    }

    /// <summary>
    /// Frees the slots of the <paramref name="count"/> oldest groups, publishes the new head, and only then completes
    /// them (inline, or with one hand-off for the lot), so that a continuation can enqueue again at once.
    /// </summary>
    private void CompleteGroups(int count)
    {
        long head = _stream.Head;
        long heaps = 0;
        _doneCount = 0;
        for (int g = 0; g < count; g++)
        {
            SendStream.Slot first = _slots[head & _slotMask];
            long end = first.GroupEnd;
            // A cancelled group was completed by its cancellation already.
            if (first.State != SendStream.GroupCancelled)
            {
                _done[_doneCount++] = first.FirstError is { } error
                    ? Completion.Failure(first.Completion!, error)
                    : Completion.Result(first.Completion!, first.BytesSent);
            }
            heaps += end - head;
            for (; head != end; head++)
            {
                _slots[head & _slotMask].Clear();
            }
        }
        Volatile.Write(ref _stream.Head, head);
        _stream.Metrics.Heaps.Add(heaps);
        Publish(_done.AsSpan(0, _doneCount), head);
        _done.AsSpan(0, _doneCount).Clear();
        _doneCount = 0;
    }

    /// <summary>
    /// Completes <paramref name="completions"/> (here with synchronous continuations, else through the dispatcher)
    /// and then releases the flushes waiting for the heaps before <paramref name="head"/>.
    /// </summary>
    internal void Publish(Span<Completion> completions, long head)
    {
        if (_dispatcher is null)
        {
            Completion.RunAll(completions);
            _stream.ReleaseFlushWaiters(head);
            return;
        }

        // A blocking SendHeap waits on a monitor, with no continuation to run: wake it from here, so that it never
        // depends on the drain (which may be the very thread that waits).
        int kept = 0;
        for (int i = 0; i < completions.Length; i++)
        {
            if (completions[i].Source!.IsBlocking)
            {
                completions[i].Run();
            }
            else
            {
                if (kept != i)
                {
                    completions[kept] = completions[i];
                }
                kept++;
            }
        }
        if (kept == 0 && _stream.FeedFlushPointsPosted == Volatile.Read(ref _stream.FeedFlushPointsRun))
        {
            // No task to complete first, and no flush point of ours still queued in the dispatcher: no hand-off
            // needed. (A cancellation still failing its task holds flushes back by itself.)
            _stream.ReleaseFlushWaiters(head);
            return;
        }
        // Only the feed posts these (one thread at a time): the count has one writer.
        Volatile.Write(ref _stream.FeedFlushPointsPosted, _stream.FeedFlushPointsPosted + 1);
        // While two or more heaps are still queued, the continuations that would queue more can wait: the feed wakes
        // the completion thread when the queue runs low, when it pauses or goes idle (see Run), or for a flush.
        bool wake = Volatile.Read(ref _stream.Tail) - head <= 1 || _stream.HasFlushWaiters;
        _dispatcher.Post(completions[..kept], Completion.FlushPoint(_stream, head), wake);
        if (wake && !_dispatcher.IsDrainingOnCurrentThread)
        {
            // The drain is woken for these continuations, which will queue more: if this run ends with more to send,
            // the pool may hand the feed to the drain, so that the two do not take turns waking each other.
            WantsDrain = true;
        }
    }
}
