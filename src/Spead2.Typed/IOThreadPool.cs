using Spead2.Internal;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Pacing;

namespace Spead2;

/// <summary>
/// A pool of I/O threads that several streams share: spead2's <c>thread_pool</c>. Each thread serves the streams
/// that have work, one batch of packets at a time, in turn.
/// </summary>
/// <remarks>
/// <para>
/// Give a pool to a stream through <see cref="Send.StreamConfig.ThreadPool"/>. A stream created without one gets a
/// private pool of one thread, which it disposes with itself (a thread per stream, as before pools existed). With
/// a shared pool, streams that have packets to send are served round robin, one batch (up to 64 packets) per turn,
/// so one busy stream cannot starve another; each stream keeps its own heap order, pacing, queue limit
/// (<see cref="Send.StreamConfig.MaxHeaps"/>) and cnt sequence. A stream sitting out a pacing pause takes no
/// thread.
/// </para>
/// <para>
/// Lifetime: create the pool before its streams and dispose it after them. Disposing a pool that streams still use
/// throws <see cref="InvalidOperationException"/>; creating a stream on a disposed pool throws
/// <see cref="ObjectDisposedException"/>. All the pool's streams pace with the pool's <see cref="TimeProvider"/>.
/// </para>
/// <para>
/// Continuations of <c>SendHeapAsync</c> do not run on these threads unless
/// <see cref="Send.StreamConfig.AllowSynchronousContinuations"/> is set; the blocking calls of a stream
/// (<c>SendHeap</c>, <c>Flush</c>, <c>Dispose</c> with heaps queued) throw <see cref="InvalidOperationException"/>
/// when made on a thread of its pool, where they would wait for themselves.
/// </para>
/// </remarks>
public sealed class IOThreadPool : IDisposable
{
    /// <summary>The most threads a pool may have.</summary>
    public const int MaxThreads = 256;

    // A short spin before an idle thread blocks: work queued meanwhile (the next heap of a sender that awaits each
    // send) then costs neither thread a sleep and a wake-up. About 10-20 µs on current x86 cores.
    private const int IdleSpins = 10;
    private const int IdleSpinIterations = 30;

    /// <summary>While a completion drain runs, an idle thread looks at the run queue at least this often.</summary>
    /// <remarks>
    /// Only work a blocked drain strands needs the poll (it is taken on the second poll that sees it). At 1 ms the
    /// wake-ups cost a sender loop of single-packet heaps about 5 % of its CPU (3,900 context switches for 3,000,000
    /// heaps against 700 at 5 ms; alternating runs, medians of 9: 0.94× the CPU and 0.96× the time at 5 ms for 1 KiB
    /// and 8 KiB heaps).
    /// </remarks>
    internal const int DrainPollMilliseconds = 5;

    [ThreadStatic]
    private static IOThreadPool? t_current;

    // Guards the run queue, timers, idle threads and every work item's pool state. A ShortLock, not a monitor or a
    // Lock: a sender loop on the completion thread takes it three times per batch. A Detach that waits for a run to
    // end waits on a monitor of its own (_runEnded).
    private readonly ShortLock _lock = new();
    private readonly object _runEnded = new();
    private readonly Thread[] _threads;
    // The pool's lists start with room for this many entries, so that the first use of one (say the first time a drain
    // defers work, which may come long after start-up) allocates nothing on the sending path.
    private const int InitialCapacity = 16;

    private readonly Queue<IOWork> _runQueue = new(InitialCapacity);

    // Items a completion drain queued for itself (Schedule with wakeThread false): not in the run queue, so that a
    // pool thread does not take them from under the drain, which runs them itself within microseconds. A pool thread
    // that polls while a drain runs moves an item here to the run queue once it has seen it on two polls in a row
    // (a continuation that blocks the drain), so nothing is stranded.
    private readonly List<IOWork> _drainDeferred = new(InitialCapacity);
    private readonly List<IOWork> _timers = new(InitialCapacity);
    private readonly List<IdleThread> _idle = new(InitialCapacity);
    private int _runQueueCount;
    private int _attached;
    private bool _disposed;

    /// <summary>Creates a pool and starts its threads.</summary>
    /// <param name="threads">Number of I/O threads, 1 to <see cref="MaxThreads"/>.</param>
    /// <param name="timeProvider">The clock the pool's streams pace with; the system clock when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is out of range.</exception>
    public IOThreadPool(int threads = 1, TimeProvider? timeProvider = null)
        : this(threads, timeProvider, "Spead2 I/O")
    {
    }

    internal IOThreadPool(int threads, TimeProvider? timeProvider, string threadName)
    {
        if (threads is < 1 or > MaxThreads)
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"An I/O thread pool has 1 to {MaxThreads} threads.");
        }
        TimeProvider = timeProvider ?? TimeProvider.System;
        Completions = new CompletionDispatcher();
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(static s => ((IOThreadPool)s!).ThreadMain())
            {
                IsBackground = true,
                Name = threads == 1 ? threadName : $"{threadName} {i}",
            };
        }
        foreach (Thread t in _threads)
        {
            t.Start(this);
        }
    }

    /// <summary>Number of I/O threads.</summary>
    public int ThreadCount => _threads.Length;

    /// <summary>The clock of the pool's streams.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Number of streams using the pool.</summary>
    public int StreamCount
    {
        get
        {
            using (_lock.EnterScope())
            {
                return _attached;
            }
        }
    }

    /// <summary>Completes the sends of the pool's streams on the pool's completion thread, a batch at a time.</summary>
    internal CompletionDispatcher Completions { get; }

    /// <summary>Whether the calling thread is one of this pool's I/O threads.</summary>
    internal bool IsCurrentThread => ReferenceEquals(t_current, this);

    /// <summary>
    /// Stops the threads. Every stream on the pool must have been disposed first.
    /// </summary>
    /// <exception cref="InvalidOperationException">Streams still use the pool, or the call is made on one of its
    /// threads.</exception>
    public void Dispose()
    {
        using (_lock.EnterScope())
        {
            if (_disposed)
            {
                return;
            }
            if (_attached > 0)
            {
                throw new InvalidOperationException(
                    $"{_attached} stream(s) still use this I/O thread pool: dispose them before the pool.");
            }
            if (IsCurrentThread)
            {
                throw new InvalidOperationException("An I/O thread pool cannot be disposed from one of its own threads.");
            }
            _disposed = true;
            foreach (IdleThread idle in _idle)
            {
                idle.Sleeper.Wake();
            }
        }
        foreach (Thread t in _threads)
        {
            t.Join();
        }
        Completions.Dispose();
    }

    /// <summary>
    /// Stops the threads without waiting for them: for a stream's private pool, once the stream is off it (possibly
    /// from the pool's own thread, which then ends after the current run).
    /// </summary>
    internal void Shutdown()
    {
        if (!IsCurrentThread)
        {
            Dispose();
            return;
        }
        using (_lock.EnterScope())
        {
            _disposed = true;
            foreach (IdleThread idle in _idle)
            {
                idle.Sleeper.Wake();
            }
        }
        Completions.Stop(join: false);
    }

    /// <summary>Adds a work item (a stream's writer); it starts idle.</summary>
    internal void Attach(IOWork work)
    {
        using (_lock.EnterScope())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (work.Pool is not null)
            {
                throw new InvalidOperationException("The work item is attached to a pool already.");
            }
            work.Pool = this;
            work.State = IOWorkState.Idle;
            _attached++;
        }
    }

    /// <summary>
    /// Removes a work item: from now on it is never run again. Waits for a run in progress on another thread; from
    /// the thread running it (a continuation run inline), returns at once and the pool calls
    /// <see cref="IOWork.OnDetached"/> when that run ends. Otherwise the caller finishes the removal itself.
    /// </summary>
    /// <returns>True when the caller must finish (the item is no longer running); false when the pool will.</returns>
    internal bool Detach(IOWork work)
    {
        bool waitForRun = false;
        using (_lock.EnterScope())
        {
            if (!ReferenceEquals(work.Pool, this))
            {
                throw new InvalidOperationException("The work item is not attached to this pool.");
            }
            work.DetachRequested = true;
            switch (work.State)
            {
                case IOWorkState.Queued:
                    Unqueue(work);
                    break;
                case IOWorkState.Sleeping:
                    _timers.Remove(work);
                    break;
                case IOWorkState.Running when work.RunningThread == Environment.CurrentManagedThreadId:
                    work.DetachDeferred = true;
                    return false;
                case IOWorkState.Running:
                    waitForRun = true;
                    break;
            }
            if (!waitForRun)
            {
                work.State = IOWorkState.Detached;
                _attached--;
                return true;
            }
        }
        // The run in progress ends in AfterRun, which sees DetachRequested, marks the item detached under the lock and
        // then pulses _runEnded: tested under _runEnded, the state cannot change unseen between the test and the wait.
        lock (_runEnded)
        {
            while (ReadState(work) == IOWorkState.Running)
            {
                Monitor.Wait(_runEnded);
            }
        }
        using (_lock.EnterScope())
        {
            work.State = IOWorkState.Detached;
            _attached--;
        }
        return true;
    }

    private IOWorkState ReadState(IOWork work)
    {
        using (_lock.EnterScope())
        {
            return work.State;
        }
    }

    /// <summary>Work arrived for an item that reported <see cref="IOWorkResult.Idle"/>: run it again.</summary>
    /// <param name="work">The item.</param>
    /// <param name="wakeThread">False to queue it for the caller, a completion drain that means to run it itself
    /// (<see cref="TryRunInline"/>): no thread is woken and none takes it at once; while a drain runs, threads look
    /// every <see cref="DrainPollMilliseconds"/> and take an item the drain has left waiting since their previous
    /// look.</param>
    /// <returns>True when the item was queued by this call.</returns>
    internal bool Schedule(IOWork work, bool wakeThread = true)
    {
        using (_lock.EnterScope())
        {
            switch (work.State)
            {
                case IOWorkState.Idle when !wakeThread:
                    QueueForDrainLocked(work);
                    return true;
                case IOWorkState.Idle:
                    Enqueue(work, wakeThread);
                    return true;
                case IOWorkState.Running:
                    // It is about to report Idle (or is still busy): run it once more afterwards.
                    work.ScheduleRequested = true;
                    break;
            }
            return false;
        }
    }

    private void Enqueue(IOWork work, bool wakeThread = true)
    {
        work.State = IOWorkState.Queued;
        _runQueue.Enqueue(work);
        Volatile.Write(ref _runQueueCount, _runQueue.Count);
        if (wakeThread && _idle.Count > 0)
        {
            IdleThread idle = _idle[^1];
            _idle.RemoveAt(_idle.Count - 1);
            idle.Sleeper.Wake();
        }
    }

    // Takes a queued item out of wherever it waits: the drain's deferred list or the run queue.
    private void Unqueue(IOWork work)
    {
        if (work.Deferred)
        {
            work.Deferred = false;
            // By reference, from the end (the list holds a few items, the one just queued last): List.IndexOf would
            // go through the default equality comparer's virtual Equals.
            int i = _drainDeferred.Count - 1;
            while (!ReferenceEquals(_drainDeferred[i], work))
            {
                i--;
            }
            _drainDeferred[i] = _drainDeferred[^1];
            _drainDeferred.RemoveAt(_drainDeferred.Count - 1);
            return;
        }
        RemoveFromRunQueue(work);
    }

    // On a pool thread's poll while a drain runs: items the drain has left waiting since the previous poll go to the
    // run queue (the drain is busy with, or blocked in, a continuation).
    private void PromoteStaleDeferred()
    {
        for (int i = _drainDeferred.Count - 1; i >= 0; i--)
        {
            IOWork w = _drainDeferred[i];
            if (++w.DeferredPolls >= 2)
            {
                w.Deferred = false;
                _drainDeferred[i] = _drainDeferred[^1];
                _drainDeferred.RemoveAt(_drainDeferred.Count - 1);
                _runQueue.Enqueue(w);
            }
        }
        Volatile.Write(ref _runQueueCount, _runQueue.Count);
    }

    private void RemoveFromRunQueue(IOWork work)
    {
        // Rare (disposal of a stream with work): rebuild the queue without it, keeping the others' order.
        int n = _runQueue.Count;
        for (int i = 0; i < n; i++)
        {
            IOWork w = _runQueue.Dequeue();
            if (!ReferenceEquals(w, work))
            {
                _runQueue.Enqueue(w);
            }
        }
        Volatile.Write(ref _runQueueCount, _runQueue.Count);
    }

    private void ThreadMain()
    {
        t_current = this;
        using Sleeper sleeper = Sleeper.Create(TimeProvider);
        sleeper.AttachToCurrentThread();
        var self = new IdleThread(sleeper);
        bool spin = true;
        while (true)
        {
            IOWork? work = null;
            long deadline = long.MaxValue;
            using (_lock.EnterScope())
            {
                if (_disposed)
                {
                    return;
                }
                PromoteDueTimers();
                if (_runQueue.Count > 0)
                {
                    work = _runQueue.Dequeue();
                    Volatile.Write(ref _runQueueCount, _runQueue.Count);
                    work.State = IOWorkState.Running;
                    work.RunningThread = Environment.CurrentManagedThreadId;
                }
                else
                {
                    deadline = EarliestTimer();
                }
            }

            if (work is null)
            {
                // No spin after a poll that found nothing: the poll repeats every DrainPollMilliseconds while a drain runs.
                spin = !WaitForWork(self, deadline, spin);
                continue;
            }
            spin = true;

            IOWorkResult result = work.Run(out long wakeTimestamp);
            if (work.WantsDrain)
            {
                work.WantsDrain = false;
                if (result == IOWorkResult.Continue && TryHandToDrain(work))
                {
                    continue;
                }
            }
            AfterRun(work, result, wakeTimestamp);
        }
    }

    /// <summary>Puts a work item where its run said it belongs: the run queue, the timers, or idle.</summary>
    private void AfterRun(IOWork work, IOWorkResult result, long wakeTimestamp)
    {
        bool finishDetach = false;
        bool pulseDetach = false;
        using (_lock.EnterScope())
        {
            if (work.DetachRequested)
            {
                work.State = IOWorkState.Detached;
                if (work.DetachDeferred)
                {
                    // Detached from inside this very run (see Detach): finish the removal once the lock is free.
                    _attached--;
                    finishDetach = true;
                }
                else
                {
                    // A Detach on another thread is waiting for this run to end; it finishes the removal.
                    pulseDetach = true;
                }
            }
            else
            {
                switch (result)
                {
                    case IOWorkResult.Continue:
                        Enqueue(work);
                        break;
                    case IOWorkResult.Sleep:
                        work.State = IOWorkState.Sleeping;
                        work.WakeTimestamp = wakeTimestamp;
                        _timers.Add(work);
                        WakeIdleThreadSleepingPast(wakeTimestamp);
                        break;
                    default:
                        if (work.ScheduleRequested)
                        {
                            Enqueue(work);
                        }
                        else
                        {
                            work.State = IOWorkState.Idle;
                        }
                        break;
                }
                work.ScheduleRequested = false;
            }
        }
        if (pulseDetach)
        {
            lock (_runEnded)
            {
                Monitor.PulseAll(_runEnded);
            }
        }
        if (finishDetach)
        {
            work.OnDetached();
        }
    }

    /// <summary>
    /// Runs a queued work item once on the calling thread (a completion drain, right after the continuations that
    /// queued its heaps, or that it keeps), if no pool thread has taken it yet.
    /// </summary>
    /// <param name="work">The item.</param>
    /// <param name="keep">Whether the drain may keep the item when it has more to send at once (see
    /// <see cref="TryHandToDrain"/>): it is then queued for the drain again instead of on the run queue.</param>
    /// <returns>Whether the item was kept for the drain, which must then run it again (with
    /// <see cref="TryRunInline"/>) after the completions posted meanwhile.</returns>
    internal bool TryRunInline(IOWork work, bool keep)
    {
        using (_lock.EnterScope())
        {
            if (work.State != IOWorkState.Queued || work.DetachRequested || !ReferenceEquals(work.Pool, this))
            {
                return false;
            }
            Unqueue(work);
            work.State = IOWorkState.Running;
            work.RunningThread = Environment.CurrentManagedThreadId;
        }
        IOWorkResult result = work.Run(out long wakeTimestamp);
        if (result == IOWorkResult.Continue && keep && TryQueueForDrain(work))
        {
            return true;
        }
        AfterRun(work, result, wakeTimestamp);
        return false;
    }

    /// <summary>
    /// On a pool thread, after a run of <paramref name="work"/> that has more to send and woke the completion drain
    /// for its heaps' continuations: gives the item to the drain instead of running it again here, if the drain's
    /// continuations have been short lately and the item is the pool's only one. The drain then runs the
    /// continuations and the sending in turn on one thread (as spead2 runs callbacks and writer on its I/O thread),
    /// instead of being woken and going back to sleep every few heaps while this thread sends. If a continuation
    /// then blocks, the pool's drain polls take the item back within two <see cref="DrainPollMilliseconds"/>.
    /// </summary>
    private bool TryHandToDrain(IOWork work)
    {
        if (!Completions.ContinuationsAreShort || !TryQueueForDrain(work))
        {
            return false;
        }
        Completions.HandOver(this, work);
        return true;
    }

    // Queues a running item for the drain (the deferred list, as Schedule does for a drain), if it is the pool's only
    // item (a stream's private pool, or a shared pool with one stream): the drain is one thread, and the streams of a
    // shared pool are sent in parallel by its threads. Not while it is being detached, nor an item that says the drain
    // may not keep it (a TCP stream).
    private bool TryQueueForDrain(IOWork work)
    {
        using (_lock.EnterScope())
        {
            if (!work.DrainMayKeep || work.DetachRequested || _attached != 1 || _runQueue.Count > 0)
            {
                return false;
            }
            work.ScheduleRequested = false;
            QueueForDrainLocked(work);
            return true;
        }
    }

    // Queues an item on the drain's deferred list (not the run queue): the drain runs it, or a pool thread's poll
    // takes it once it has waited there through two polls (PromoteStaleDeferred).
    private void QueueForDrainLocked(IOWork work)
    {
        work.State = IOWorkState.Queued;
        work.DeferredPolls = 0;
        work.Deferred = true;
        _drainDeferred.Add(work);
    }

    /// <summary>Sleeps until work or the deadline; true when it returns from a drain poll (see below).</summary>
    private bool WaitForWork(IdleThread self, long deadline, bool spin)
    {
        if (spin && deadline == long.MaxValue)
        {
            for (int i = 0; i < IdleSpins; i++)
            {
                if (Volatile.Read(ref _runQueueCount) > 0)
                {
                    return false;
                }
                Thread.SpinWait(IdleSpinIterations);
            }
        }
        using (_lock.EnterScope())
        {
            // Timers added since the caller looked (by a drain that ran a feed inline) count too, or this thread
            // would sleep past them.
            PromoteDueTimers();
            if (_runQueue.Count > 0 || _disposed)
            {
                return false;
            }
            deadline = EarliestTimer();
            self.Deadline = deadline;
            _idle.Add(self);
        }
        // A drain may queue work without waking anyone (see Schedule): while one runs, look again every DrainPollMilliseconds
        // (a coarse wait, no spinning), so that work is never stranded behind a continuation that blocks.
        // (Deferred items exist only while a drain runs: it runs them before it sleeps.)
        bool poll = Completions.IsDraining
            && (deadline == long.MaxValue || deadline - TimeProvider.GetTimestamp() > TimeProvider.TimestampFrequency * DrainPollMilliseconds / 1000);
        if (poll)
        {
            self.Sleeper.WaitCoarse(DrainPollMilliseconds);
        }
        else
        {
            self.Sleeper.SleepUntil(deadline);
        }
        using (_lock.EnterScope())
        {
            _idle.Remove(self);
            if (poll)
            {
                PromoteStaleDeferred();
            }
        }
        return poll;
    }

    // A thread sleeping past a new timer would oversleep it: wake one to recompute its deadline.
    private void WakeIdleThreadSleepingPast(long timestamp)
    {
        for (int i = _idle.Count - 1; i >= 0; i--)
        {
            if (_idle[i].Deadline > timestamp)
            {
                IdleThread idle = _idle[i];
                _idle.RemoveAt(i);
                idle.Sleeper.Wake();
                return;
            }
        }
    }

    private void PromoteDueTimers()
    {
        if (_timers.Count == 0)
        {
            return;
        }
        long now = TimeProvider.GetTimestamp();
        for (int i = 0; i < _timers.Count;)
        {
            IOWork w = _timers[i];
            if (w.WakeTimestamp <= now)
            {
                _timers.RemoveAt(i);
                w.State = IOWorkState.Queued;
                _runQueue.Enqueue(w);
            }
            else
            {
                i++;
            }
        }
        Volatile.Write(ref _runQueueCount, _runQueue.Count);
    }

    private long EarliestTimer()
    {
        long earliest = long.MaxValue;
        foreach (IOWork w in _timers)
        {
            earliest = Math.Min(earliest, w.WakeTimestamp);
        }
        return earliest;
    }

    private sealed class IdleThread(Sleeper sleeper)
    {
        public Sleeper Sleeper { get; } = sleeper;

        public long Deadline { get; set; }
    }
}

/// <summary>What an <see cref="IOWork"/> wants after a run.</summary>
internal enum IOWorkResult
{
    /// <summary>It has more to do at once: run it again after the others waiting.</summary>
    Continue,

    /// <summary>Run it again at the returned timestamp (a pacing pause).</summary>
    Sleep,

    /// <summary>Nothing to do; it has arranged to call <see cref="IOThreadPool.Schedule"/> when work arrives.</summary>
    Idle,
}

internal enum IOWorkState
{
    Idle,
    Queued,
    Running,
    Sleeping,
    Detached,
}

/// <summary>
/// Something an <see cref="IOThreadPool"/> runs: a stream's writer. Each run does a bounded amount of work (one
/// batch of packets) and says when it wants the next.
/// </summary>
internal abstract class IOWork
{
    // Pool bookkeeping, under the pool's lock.
    internal IOThreadPool? Pool;
    internal IOWorkState State;
    internal long WakeTimestamp;
    internal int RunningThread;
    internal bool ScheduleRequested;
    internal bool DetachRequested;
    internal bool DetachDeferred;

    // Queued by a completion drain for itself (the pool's deferred list, not its run queue), and on how many pool
    // thread polls it has been seen there.
    internal bool Deferred;
    internal int DeferredPolls;

    // Set by the item during a run that ended with more to send at once, after it woke the completion drain: it
    // would rather be run by the drain from now on (see IOThreadPool.TryHandToDrain). Touched by the running thread only.
    internal bool WantsDrain;

    // Whether a completion drain may keep the item between runs (IOThreadPool.TryQueueForDrain): not for a stream
    // whose transport may wait on its peer, which would hold up the drain.
    internal bool DrainMayKeep = true;

    /// <summary>Does one bounded piece of work on a pool thread. Must not throw.</summary>
    /// <param name="wakeTimestamp">For <see cref="IOWorkResult.Sleep"/>, when to run again (the pool's clock).</param>
    public abstract IOWorkResult Run(out long wakeTimestamp);

    /// <summary>Called on the pool thread after a detach requested during the item's own run (see
    /// <see cref="IOThreadPool.Detach"/>).</summary>
    public abstract void OnDetached();
}
