using Spead2.Send.Pacing;

namespace Spead2.Send;

public abstract partial class SendStream
{
    /// <summary>Most packets handed to the transport in one call (spead2 batches up to 64 per sendmmsg).</summary>
    internal const int MaxBatchPackets = 64;

    /// <summary>Upper bound on the batch buffer, so that huge packet sizes do not pin huge buffers.</summary>
    private const int MaxBatchBytes = 1 << 20;

    // Idle spin before blocking: about 10-20 µs on current x86 cores.
    private const int IdleSpins = 10;
    private const int IdleSpinIterations = 30;

    private readonly WriterState _writer;

    /// <summary>Why the packet loop stopped filling the current batch.</summary>
    private enum Step
    {
        /// <summary>A packet was added to the batch.</summary>
        Packet,

        /// <summary>The pacer wants a pause until <see cref="WriterState.WakeTimestamp"/>.</summary>
        Sleep,

        /// <summary>Nothing is queued.</summary>
        Empty,

        /// <summary>The batch must be sent before the next group can be looked at (it was cancelled).</summary>
        Flush,
    }

    /// <summary>How <see cref="WaitForWork"/> ended.</summary>
    private enum WaitOutcome
    {
        /// <summary>Work had arrived meanwhile: the writer never went idle.</summary>
        Work,

        /// <summary>The writer slept and was woken by a new heap: the pacer's idle rule applies.</summary>
        WokenFromIdle,

        /// <summary>The stream is being disposed and nothing is left.</summary>
        Stop,
    }

    /// <summary>Everything only the writer thread touches.</summary>
    private sealed class WriterState
    {
        public WriterState(SendStream stream)
        {
            int packetSize = stream._config.MaxPacketSize & ~7;
            PacketSize = packetSize;
            MaxBatch = Math.Clamp(MaxBatchBytes / packetSize, 1, MaxBatchPackets);
            Gather = stream._transport.CreateGatherBatch(MaxBatch, packetSize);
            Buffer = Gather is null ? new byte[packetSize * MaxBatch] : [];
            ZeroCopy = Gather is not null && Native.HeapBatching.PreferGather(packetSize);
            Packets = new PacketSpan[MaxBatch];
            Errors = new Exception?[MaxBatch];
            PacketGroup = new long[MaxBatch];
            PacketLast = new bool[MaxBatch];
            Done = new CompletedGroup[MaxBatch];
            Limiter = new RateLimiter(stream._time, stream._config.BurstSize, stream._config.BurstRateRatio);
            Sleeper = Sleeper.Create(stream._time);
        }

        public readonly int PacketSize;
        public readonly int MaxBatch;
        public readonly byte[] Buffer;
        public readonly Native.PacketBatch? Gather;

        // With a gather batch: payload by reference into the pinned heap (large packets), or whole packets copied
        // into the batch's scratch (small packets, where copying is cheaper than a second gather entry).
        public readonly bool ZeroCopy;
        public readonly PacketSpan[] Packets;
        public readonly Exception?[] Errors;

        // For each packet of the batch: the first slot of its group, and whether it completes the group.
        public readonly long[] PacketGroup;
        public readonly bool[] PacketLast;

        public readonly CompletedGroup[] Done;
        public readonly RateLimiter Limiter;
        public readonly Sleeper Sleeper;

        // Next slot to take a packet from, first slot of its group, and whether that group has begun.
        public long Active;
        public long ActiveStart;
        public bool GroupStarted;

        // The tail as last read; re-read only when the writer catches up with it.
        public long CachedTail;

        public int BatchCount;
        public int BatchBytes;
        public long WakeTimestamp;

        // Set when the writer went idle instead of sleeping out a pacing pause, until it has work again.
        public bool WakePending;
        public long PendingWake;
    }

    private readonly record struct CompletedGroup(HeapCompletionSource? Completion, Exception? Error, long Bytes, bool Cancelled);

    private void WriterMain()
    {
        try
        {
            _writer.Sleeper.AttachToCurrentThread();
            RunWriter();
        }
        catch (Exception e)
        {
            // A bug or an unexpected runtime failure: no heap may be left hanging.
            SendLog.WriterFailed(_logger, e);
            FailPending(new IOException("The send stream's writer failed: " + e.Message, e));
        }
    }

    private void RunWriter()
    {
        WriterState w = _writer;
        while (true)
        {
            Step step;
            do
            {
                step = NextPacket(w);
            }
            while (step == Step.Packet && w.BatchCount < w.MaxBatch);

            if (w.BatchCount > 0)
            {
                Transmit(w);
            }
            switch (step)
            {
                case Step.Sleep:
                    if (w.Sleeper.IsInterrupted)
                    {
                        // Disposal: everything queued has completed, only the pause after the last burst remains.
                        return;
                    }
                    w.Sleeper.SleepUntil(w.WakeTimestamp);
                    break;
                case Step.Empty:
                    switch (WaitForWork(w))
                    {
                        case WaitOutcome.Stop:
                            return;
                        case WaitOutcome.WokenFromIdle:
                            // Woken before the pause it skipped would have ended, spead2's writer would still be
                            // asleep, not idle: only a wake after it counts as a wake from idle.
                            if (!w.WakePending || _time.GetTimestamp() >= w.PendingWake)
                            {
                                w.Limiter.WakeFromIdle();
                            }
                            break;
                    }
                    w.WakePending = false;
                    break;
            }
        }
    }

    /// <summary>Adds the next packet to the batch, or says why not (spead2's <c>get_packet</c>).</summary>
    private Step NextPacket(WriterState w)
    {
        while (true)
        {
            bool available = w.Active != w.CachedTail || (w.CachedTail = Volatile.Read(ref _tail)) != w.Active;
            PacingResult pacing = w.Limiter.Next(available, out w.WakeTimestamp);
            if (pacing == PacingResult.Sleep)
            {
                if (!available)
                {
                    // Nothing to send: wait for work instead of sitting out the pause, so that disposal is not held
                    // up by it (for up to BurstSize / Rate, or forever on a stopped fake clock). The pacer still
                    // owes the pause and makes the next packet wait for it.
                    w.PendingWake = w.WakeTimestamp;
                    w.WakePending = true;
                    return Step.Empty;
                }
                return Step.Sleep;
            }
            if (pacing == PacingResult.Empty)
            {
                return Step.Empty;
            }

            Slot current = _slots[w.Active & _slotMask];
            if (!w.GroupStarted)
            {
                // First packet of a group: claim it unless it was cancelled while queued.
                Slot first = _slots[w.ActiveStart & _slotMask];
                if (Interlocked.CompareExchange(ref first.State, GroupStarted, GroupQueued) != GroupQueued)
                {
                    if (w.BatchCount > 0)
                    {
                        // Earlier groups in this batch complete first, so completions stay in queue order.
                        return Step.Flush;
                    }
                    first.Registration.Dispose();
                    w.Active = first.GroupEnd;
                    w.ActiveStart = w.Active;
                    CompleteGroups(w, 1);
                    continue;
                }
                // Waits for a callback that is running right now (it will find the group started and do nothing).
                first.Registration.Dispose();
                w.GroupStarted = true;
            }

            while (true)
            {
                int offset = w.BatchBytes;
                int length;
                if (w.Gather is { } copyBatch && !w.ZeroCopy)
                {
                    length = copyBatch.GetLength(copyBatch.AddWholePacket(current.SubstreamIndex, ref current.Generator));
                }
                else if (w.Gather is { } gather)
                {
                    // Zero copy: the header goes to the batch's scratch, the payload stays in the pinned heap.
                    Native.PinnedHeap pins = current.Pins ??= new Native.PinnedHeap();
                    if (pins.Heap != current.Heap)
                    {
                        pins.Pin(current.Heap!);
                    }
                    length = gather.GetLength(Native.HeapBatching.AddPacket(gather, ref current.Generator, pins, current.SubstreamIndex));
                }
                else
                {
                    length = current.Generator.NextPacket(w.Buffer.AsSpan(offset, w.PacketSize));
                }
                int index = w.BatchCount;
                w.Packets[index] = new PacketSpan(offset, length, current.SubstreamIndex);
                w.PacketGroup[index] = w.ActiveStart;
                w.Limiter.Account(length, current.WaitPerByte);
                long active = w.Active;
                bool last = Advance(w, current);
                w.PacketLast[index] = last;
                if (last)
                {
                    w.GroupStarted = false;
                }
                w.BatchCount = index + 1;
                w.BatchBytes = offset + length;

                // The next packet of the same heap, inside an open burst, needs neither the queue nor the pacer's
                // clock (Next would allow it): stay in this loop, which is most packets of a large heap.
                if (last || w.BatchCount == w.MaxBatch || w.Active != active || !w.Limiter.InBurst)
                {
                    return Step.Packet;
                }
            }
        }
    }

    /// <summary>Moves to the slot that supplies the next packet; true when the group is finished.</summary>
    private bool Advance(WriterState w, Slot current)
    {
        if (current.Mode == GroupMode.RoundRobin)
        {
            long nextActive = current.GroupNext;
            Slot next = nextActive == w.Active ? current : _slots[nextActive & _slotMask];
            while (!next.Generator.HasNextPacket)
            {
                if (nextActive == w.Active)
                {
                    // All the way round without finding a packet: the group is exhausted.
                    w.Active = current.GroupEnd;
                    w.ActiveStart = w.Active;
                    return true;
                }
                nextActive = next.GroupNext;
                next = _slots[nextActive & _slotMask];
            }
            // Remember the hop so exhausted heaps are skipped next time round.
            current.GroupNext = nextActive;
            w.Active = nextActive;
            return false;
        }
        else
        {
            Slot next = current;
            while (!next.Generator.HasNextPacket)
            {
                w.Active++;
                if (w.Active == current.GroupEnd)
                {
                    w.ActiveStart = w.Active;
                    return true;
                }
                next = _slots[w.Active & _slotMask];
            }
            return false;
        }
    }

    /// <summary>Hands the batch to the transport, books the results and completes finished groups.</summary>
    private void Transmit(WriterState w)
    {
        int n = w.BatchCount;
        Span<Exception?> errors = w.Errors.AsSpan(0, n);
        if (w.Gather is { } gather)
        {
            Native.HeapBatching.SendAndCollect(gather, errors);
        }
        else
        {
            _transport.Send(w.Buffer.AsSpan(0, w.BatchBytes), w.Packets.AsSpan(0, n), errors);
        }

        long bytes = 0;
        int failed = 0;
        int finished = 0;
        for (int i = 0; i < n; i++)
        {
            Slot group = _slots[w.PacketGroup[i] & _slotMask];
            if (errors[i] is { } error)
            {
                group.FirstError ??= error;
                errors[i] = null;
                failed++;
            }
            else
            {
                int length = w.Packets[i].Length;
                group.BytesSent += length;
                bytes += length;
            }
            if (w.PacketLast[i])
            {
                finished++;
            }
        }
        w.BatchCount = 0;
        w.BatchBytes = 0;

        SendMetrics.Packets.Add(n - failed);
        SendMetrics.Bytes.Add(bytes);
        if (failed > 0)
        {
            SendMetrics.PacketErrors.Add(failed);
        }
        if (finished > 0)
        {
            CompleteGroups(w, finished);
        }
    }

    /// <summary>
    /// Frees the slots of the <paramref name="count"/> oldest groups, publishes the new head, and only then completes
    /// them, so that a continuation can enqueue again at once.
    /// </summary>
    private void CompleteGroups(WriterState w, int count)
    {
        long head = _head;
        long heaps = 0;
        for (int g = 0; g < count; g++)
        {
            Slot first = _slots[head & _slotMask];
            long end = first.GroupEnd;
            w.Done[g] = new CompletedGroup(first.Completion, first.FirstError, first.BytesSent, first.State == GroupCancelled);
            heaps += end - head;
            for (; head != end; head++)
            {
                _slots[head & _slotMask].Clear();
            }
        }
        Volatile.Write(ref _head, head);
        SendMetrics.Heaps.Add(heaps);

        for (int g = 0; g < count; g++)
        {
            CompletedGroup done = w.Done[g];
            w.Done[g] = default;
            if (done.Cancelled)
            {
                continue; // the cancellation callback has completed it already
            }
            if (done.Error is not null)
            {
                done.Completion!.SetException(done.Error);
            }
            else
            {
                done.Completion!.SetResult(done.Bytes);
            }
        }
        ReleaseFlushWaiters(head);
    }

    private void ReleaseFlushWaiters(long head)
    {
        // Called once the heaps before head have been completed.
        Volatile.Write(ref _completedHead, head);
        // Pairs with the Interlocked.Increment in Flush/FlushAsync: either they see the new head or we see them.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _flushWaiters) == 0)
        {
            return;
        }
        lock (_flushLock)
        {
            Monitor.PulseAll(_flushLock);
            for (int i = _asyncFlushes.Count - 1; i >= 0; i--)
            {
                if (_asyncFlushes[i].Target <= head)
                {
                    _asyncFlushes[i].Source.TrySetResult();
                    _asyncFlushes.RemoveAt(i);
                    Interlocked.Decrement(ref _flushWaiters);
                }
            }
        }
    }

    /// <summary>Blocks the writer until a heap is queued or the stream stops (spead2's <c>request_wakeup</c>).</summary>
    private WaitOutcome WaitForWork(WriterState w)
    {
        // A short spin first: a sender about to queue its next heap then saves both threads a sleep and a wake-up.
        for (int i = 0; i < IdleSpins; i++)
        {
            if (Volatile.Read(ref _tail) != w.Active)
            {
                return WaitOutcome.Work;
            }
            Thread.SpinWait(IdleSpinIterations);
        }
        lock (_tailLock)
        {
            if (_tail != w.Active)
            {
                return WaitOutcome.Work;
            }
            if (_stopping)
            {
                return WaitOutcome.Stop;
            }
            // The enqueuer clears the flag and pulses under this lock (a monitor, not an event: nothing is
            // allocated lazily on the first real wait, which keeps the writer allocation-free).
            _needWakeup = true;
            while (_needWakeup && !_stopping)
            {
                Monitor.Wait(_tailLock);
            }
            _needWakeup = false;
            return _tail != w.Active ? WaitOutcome.WokenFromIdle : (_stopping ? WaitOutcome.Stop : WaitOutcome.Work);
        }
    }

    /// <summary>After a writer failure: every queued group and every later send fails with <paramref name="error"/>.</summary>
    private void FailPending(Exception error)
    {
        var pending = new List<HeapCompletionSource>();
        lock (_tailLock)
        {
            _fault = error;
            long head = _head;
            while (head != _tail)
            {
                Slot first = _slots[head & _slotMask];
                long end = first.GroupEnd;
                first.Registration.Dispose();
                // Mark it started so that no cancellation can complete it after us.
                int previous = Interlocked.Exchange(ref first.State, GroupStarted);
                if (previous != GroupCancelled && first.Completion is { } completion)
                {
                    pending.Add(completion);
                }
                for (; head != end; head++)
                {
                    _slots[head & _slotMask].Clear();
                }
            }
            Volatile.Write(ref _head, head);
        }
        foreach (HeapCompletionSource source in pending)
        {
            source.SetException(error);
        }
        ReleaseFlushWaiters(Volatile.Read(ref _head));
    }
}
