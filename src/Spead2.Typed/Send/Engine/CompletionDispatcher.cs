using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Spead2.Internal;

namespace Spead2.Send.Engine;

/// <summary>One finished send to report: a heap's (or group's) result, or the point up to which flushes may end.</summary>
internal readonly struct Completion
{
    // Two references and one number whatever the kind, so that the entries, copied several times per heap, stay small
    // and each copy costs two write barriers: a task's entry has its source, its error (or null) and its byte count;
    // the stream's entries have no source, the stream and a head.
    private readonly object? _other;
    private readonly long _value;

    private Completion(HeapCompletionSource? source, object? other, long value)
    {
        Source = source;
        _other = other;
        _value = value;
    }

    public HeapCompletionSource? Source { get; }

    public long Bytes => _value;

    public Exception? Error => Source is null ? null : Unsafe.As<Exception?>(_other);

    public SendStream? Stream => Source is null ? Unsafe.As<SendStream?>(_other) : null;

    public long Head => _value;

    public static Completion Result(HeapCompletionSource source, long bytes) => new(source, null, bytes);

    public static Completion Failure(HeapCompletionSource source, Exception error) => new(source, error, 0);

    /// <summary>Every heap of <paramref name="stream"/> before <paramref name="head"/> has been reported (posted by the stream's feed only).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="head">The heaps before it have been completed once the entries posted before this one have run.</param>
    public static Completion FlushPoint(SendStream stream, long head) => new(null, stream, head);

    /// <summary>A cancellation of <paramref name="stream"/> has failed its heap's task (the entry posted before this one).</summary>
    public static Completion CancellationEnd(SendStream stream) => new(null, stream, CancellationEndHead);

    // The Head of a CancellationEnd entry: no flush point has a negative head.
    private const long CancellationEndHead = -1;

    /// <summary>Whether this entry was run already (by <see cref="RunAll"/>'s first pass) and is to be skipped.</summary>
    public bool IsEmpty => Source is null && _other is null;

    /// <summary>
    /// Runs <paramref name="completions"/> with the effect of running them in order: first every task that nothing
    /// waits for yet (completing it runs no code), then the rest in order. A sender loop that awaits its heaps one by
    /// one then finds all but the first of a batch completed when it resumes, and goes on without suspending again:
    /// one continuation per batch instead of one per heap. The entries run first are cleared.
    /// </summary>
    public static void RunUnobserved(Span<Completion> completions)
    {
        for (int i = 0; i < completions.Length; i++)
        {
            if (completions[i].Source is { IsUnobserved: true })
            {
                completions[i].Run();
                completions[i] = default;
            }
        }
    }

    /// <summary>Runs every completion (see <see cref="RunUnobserved"/> for the order), on the calling thread.</summary>
    public static void RunAll(Span<Completion> completions)
    {
        RunUnobserved(completions);
        foreach (Completion c in completions)
        {
            if (!c.IsEmpty)
            {
                c.Run();
            }
        }
    }

    /// <summary>Completes the task, releases the flushes, or ends a cancellation; continuations run on the calling thread.</summary>
    public void Run()
    {
        if (Source is { } source)
        {
            if (Error is { } error)
            {
                source.SetException(error);
            }
            else
            {
                source.SetResult(Bytes);
            }
        }
        else
        {
            SendStream stream = Stream!;
            if (Head == CancellationEndHead)
            {
                stream.EndCancellation();
            }
            else
            {
                stream.ReleaseFlushWaiters(Head);
                // Only the completion thread runs flush points: the count has one writer.
                Volatile.Write(ref stream.FeedFlushPointsRun, stream.FeedFlushPointsRun + 1);
            }
        }
    }
}

/// <summary>
/// Runs the continuations of finished sends on a completion thread of the <see cref="IOThreadPool"/>, never on its
/// I/O threads: one hand-off per batch of heaps, and none at all while the continuations keep it busy.
/// </summary>
/// <remarks>
/// <para>
/// The I/O threads post what a batch of packets finished; the completion thread completes every posted send in
/// order (their continuations run there, one after another) and sleeps on a monitor when nothing is left, without
/// spinning. Measured on the development VM with 1 MiB heaps, a .NET thread-pool work item per heap cost about
/// 75-100 µs of CPU per heap (a wake-up, then workers spinning for more work): 1.5-2× spead2's CPU; waking this
/// thread costs a few µs.
/// </para>
/// <para>
/// When a continuation queues a heap on an idle stream of the same pool (a sender loop that awaits each heap), the
/// stream is not handed to an I/O thread: once the continuations of the current batch have queued theirs, the
/// completion thread sends them itself (<see cref="ScheduleFromDrain"/>), and their completions come straight back
/// here. Such loops then run on one thread, as spead2's callbacks run on its I/O thread, without running user code
/// on an I/O thread.
/// </para>
/// <para>
/// The same holds for a stream whose heaps take more than one batch, when it is its pool's only stream: the I/O
/// thread that wakes this thread for continuations hands the stream over with them (<see cref="HandOver"/>), and
/// this thread then sends a batch, runs the continuations it finished, and sends again, instead of sleeping and being
/// woken every few heaps (10-20 % of the CPU for 1 MiB heaps, measured). It does so while each batch of continuations takes less
/// than <see cref="ShortBatchTicks"/>; a longer one leaves the stream to the pool's threads. It does not happen for a
/// transport that may wait on its peer (<see cref="PacketTransport.MayWaitOnPeer"/>: TCP), which would hold this
/// thread up for as long.
/// </para>
/// <para>
/// A continuation that blocks delays the completions queued behind it on the same pool, and the sending of a stream
/// this thread sends for until a pool thread takes it back (two drain polls at most):
/// long work after an await belongs on <see cref="Task.Run(Action)"/>. A continuation that flushes or disposes a
/// stream synchronously is fine: the wait helps the drain (<see cref="HelpUntil"/>) instead of blocking it. A captured
/// SynchronizationContext or TaskScheduler is still honoured.
/// </para>
/// </remarks>
internal sealed class CompletionDispatcher : IDisposable
{
    [ThreadStatic]
    private static CompletionDispatcher? t_draining;

    // Guards the posted completions and the thread's state. A ShortLock, not a monitor or a Lock: it is taken twice
    // per batch of heaps, and their enter and exit cost measurably more. Sleeping uses a monitor of its own (_sleep).
    private readonly ShortLock _lock = new();
    private readonly object _sleep = new();
    private volatile bool _sleeping;
    private Completion[] _pending = new Completion[64];
    private int _pendingCount;
    private volatile bool _scheduled;
    private volatile bool _unsignalled;

    /// <summary>Completions waiting unseen beyond this many wake the completion thread anyway.</summary>
    public const int WakeThreshold = 64;
    private bool _stopping;
    private Thread? _thread;
    private int _helpers;
    private long _handOffs;

    // The batch being drained, and how far; touched only by the thread that runs the drain (and helpers nested in
    // its continuations, on the same thread).
    private Completion[] _draining = new Completion[64];
    private int _drainIndex;
    private int _drainCount;
    private ExceptionDispatchInfo? _failure;

    // Feeds queued by the current batch's continuations (or kept by the drain), to be run by the drain when the
    // batch ends; and the list they are run from, swapped with it.
    // Room from the start: its first use may come long after start-up, on the sending path.
    private List<(IOThreadPool Pool, IOWork Work)> _deferred = new(16);
    private List<(IOThreadPool Pool, IOWork Work)> _deferredRunning = new(16);

    // Feeds that pool threads handed to the drain (IOThreadPool.TryHandToDrain), under _lock; moved to _deferred by
    // the drain.
    private readonly List<(IOThreadPool Pool, IOWork Work)> _handedOver = new(4);
    private volatile int _handedOverCount;

    // When the current batch of continuations began (0: none is running), and how long the last one took, in
    // Stopwatch ticks: the drain keeps sending for a stream only while its continuations are short.
    private long _batchStart;
    private long _lastBatchTicks;
    private int _untimedBatches;

    /// <summary>
    /// A batch of continuations shorter than this (50 µs) leaves the drain free to send for the stream itself: the
    /// stream's sending waits no longer than a few thread wake-ups would cost on the development VM.
    /// </summary>
    internal static readonly long ShortBatchTicks = Stopwatch.Frequency / 20_000;

    /// <summary>Times the completion thread was woken from sleep so far (for tests and measurements).</summary>
    public long HandOffs
    {
        get
        {
            using (_lock.EnterScope())
            {
                return _handOffs;
            }
        }
    }

    /// <summary>Whether the completion thread has work or is running it.</summary>
    public bool IsDraining => _scheduled;

    /// <summary>
    /// From a continuation in the drain: <paramref name="work"/> (an idle stream's feed) has new heaps. It is queued on
    /// its pool without waking a thread, and the drain runs it itself once the continuations of the current batch
    /// have queued theirs, so that they go out in one batch and their completions come back to this drain: sender
    /// loops that await each heap then cost no thread hand-off at all, as if they ran on the I/O thread. A pool
    /// thread that is awake may take it first; sleeping ones look at least every <see cref="IOThreadPool.DrainPollMilliseconds"/> while a drain runs.
    /// </summary>
    public void ScheduleFromDrain(IOThreadPool pool, IOWork work)
    {
        if (pool.Schedule(work, wakeThread: false))
        {
            _deferred.Add((pool, work));
        }
    }

    /// <summary>Whether the last batch of continuations was short (see <see cref="ShortBatchTicks"/>).</summary>
    public bool ContinuationsAreShort => Volatile.Read(ref _lastBatchTicks) <= ShortBatchTicks;

    /// <summary>
    /// From a pool thread: <paramref name="work"/>, queued for the drain on its pool (see
    /// <see cref="IOThreadPool.TryHandToDrain"/>), is to be run by the drain from now on; wakes the completion thread
    /// if it sleeps.
    /// </summary>
    public void HandOver(IOThreadPool pool, IOWork work)
    {
        using (_lock.EnterScope())
        {
            _handedOver.Add((pool, work));
            _handedOverCount = _handedOver.Count;
            WakeThreadLocked();
        }
    }

    /// <summary>Whether the calling thread is running this dispatcher's drain (inside a continuation).</summary>
    public bool IsDrainingOnCurrentThread => ReferenceEquals(t_draining, this);

    /// <summary>
    /// Queues <paramref name="completions"/> and then <paramref name="last"/> (in order). With
    /// <paramref name="wake"/> false a sleeping completion thread is left asleep until <see cref="Wake"/>, a later
    /// post that wakes it, or <see cref="WakeThreshold"/> entries: an I/O thread that still has queued heaps to send
    /// defers the continuations that would queue more, so that one wake-up serves several heaps (a few µs each on
    /// bare metal, tens of µs on the development VM).
    /// </summary>
    public void Post(ReadOnlySpan<Completion> completions, in Completion last, bool wake)
    {
        using (_lock.EnterScope())
        {
            int needed = _pendingCount + completions.Length + 1;
            if (needed > _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(needed, _pending.Length * 2));
            }
            completions.CopyTo(_pending.AsSpan(_pendingCount));
            _pending[needed - 1] = last;
            _pendingCount = needed;
            if (wake || needed >= WakeThreshold)
            {
                WakeLocked();
            }
            else if (!_scheduled)
            {
                _unsignalled = true;
            }
        }
        if (Volatile.Read(ref _helpers) > 0)
        {
            PulseSleepers();
        }
    }

    // Wakes whoever waits on _sleep: the completion thread (once _sleeping is cleared) and helpers.
    private void PulseSleepers()
    {
        lock (_sleep)
        {
            Monitor.PulseAll(_sleep);
        }
    }

    /// <summary>Wakes the completion thread for completions posted without waking it (cheap when there are none).</summary>
    public void Wake()
    {
        if (!_unsignalled)
        {
            return;
        }
        using (_lock.EnterScope())
        {
            WakeLocked();
        }
    }

    private void WakeLocked()
    {
        _unsignalled = false;
        if (_pendingCount == 0)
        {
            return;
        }
        WakeThreadLocked();
    }

    private void WakeThreadLocked()
    {
        if (_scheduled)
        {
            return;
        }
        _scheduled = true;
        _handOffs++;
        if (_thread is null)
        {
            _thread = new Thread(static s => ((CompletionDispatcher)s!).ThreadMain())
            {
                IsBackground = true,
                Name = "Spead2 completions",
            };
            _thread.Start(this);
        }
        if (_sleeping)
        {
            // Cleared before the pulse, and the sleeper tests it under _sleep before it waits: no lost wake-up.
            _sleeping = false;
            PulseSleepers();
        }
    }

    /// <summary>Stops the completion thread once everything posted has run (waits for it unless called on it).</summary>
    public void Dispose() => Stop(join: true);

    /// <summary>Stops the completion thread once everything posted has run; waits for it if asked (and not on it).</summary>
    public void Stop(bool join)
    {
        Thread? thread;
        using (_lock.EnterScope())
        {
            _stopping = true;
            WakeLocked();
            thread = _thread;
            // A sleeping thread must wake to see _stopping even with nothing posted (WakeLocked left it asleep).
            _sleeping = false;
        }
        PulseSleepers();
        if (join && thread is not null && !IsDrainingOnCurrentThread)
        {
            thread.Join();
        }
    }

    private void ThreadMain()
    {
        t_draining = this;
        while (true)
        {
            while (RunNext())
            {
            }
            if (_failure is { } failure)
            {
                // A continuation threw (not an async method's: those keep their exceptions): surface it as the
                // thread pool would have, without losing this thread.
                _failure = null;
                ThreadPool.UnsafeQueueUserWorkItem(static f => ((ExceptionDispatchInfo)f!).Throw(), failure);
            }
            using (_lock.EnterScope())
            {
                if (_pendingCount > 0 || _deferred.Count > 0 || _handedOver.Count > 0)
                {
                    continue;
                }
                _scheduled = false;
                if (_stopping)
                {
                    return;
                }
                _sleeping = true;
            }
            lock (_sleep)
            {
                while (_sleeping)
                {
                    Monitor.Wait(_sleep);
                }
            }
        }
    }

    /// <summary>
    /// On the draining thread (a continuation that waits synchronously), runs the completions behind the current one
    /// until <paramref name="done"/> holds, waiting for the I/O threads to post more when none are left.
    /// </summary>
    public void HelpUntil(Func<bool> done)
    {
        while (!done())
        {
            if (RunNext())
            {
                continue;
            }
            Interlocked.Increment(ref _helpers);
            try
            {
                // Posts wake this; a flush the feed releases without a post (nothing left to complete) does not,
                // so the condition is polled too (this is the rare re-entrant case only).
                // Tested under _sleep, which a post takes to pulse after it has added its completions: a post
                // either shows here or wakes the wait. done() must take no lock of this dispatcher.
                lock (_sleep)
                {
                    while (Volatile.Read(ref _pendingCount) == 0 && !done())
                    {
                        Monitor.Wait(_sleep, 1);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _helpers);
            }
        }
    }

    // Sends what the last batch's continuations queued (see ScheduleFromDrain); their completions come back here.
    // A feed that still has packets to send after its run stays with the drain while the continuations are short
    // (IOThreadPool.TryRunInline), to run again once the completions posted meanwhile have run.
    private void RunDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }
        List<(IOThreadPool Pool, IOWork Work)> running = _deferred;
        _deferred = _deferredRunning;
        _deferredRunning = running;
        bool keep = ContinuationsAreShort;
        for (int i = 0; i < running.Count; i++)
        {
            (IOThreadPool pool, IOWork work) = running[i];
            if (pool.TryRunInline(work, keep) && !Contains(_deferred, work))
            {
                _deferred.Add((pool, work));
            }
        }
        running.Clear();
    }

    // Whether a feed is in the list already (a feed taken back by a pool thread and handed over again may be in both
    // lists once). The lists hold a few entries.
    private static bool Contains(List<(IOThreadPool Pool, IOWork Work)> list, IOWork work)
    {
        foreach ((IOThreadPool _, IOWork w) in list)
        {
            if (ReferenceEquals(w, work))
            {
                return true;
            }
        }
        return false;
    }

    // Runs the next completion of the drain; false when none is posted.
    private bool RunNext()
    {
        if (_drainIndex == _drainCount)
        {
            if (_batchStart != 0)
            {
                Volatile.Write(ref _lastBatchTicks, Stopwatch.GetTimestamp() - _batchStart);
                _batchStart = 0;
            }
            RunDeferred();
            using (_lock.EnterScope())
            {
                if (_handedOverCount != 0)
                {
                    // Run at the next boundary, after the completions posted before the hand-over (taken below):
                    // the I/O thread posted them first, and a batch sent now could keep them waiting.
                    _deferred.AddRange(_handedOver);
                    _handedOver.Clear();
                    _handedOverCount = 0;
                }
                if (_pendingCount == 0)
                {
                    return false;
                }
                (_pending, _draining) = (_draining, _pending);
                _drainCount = _pendingCount;
                _drainIndex = 0;
                _pendingCount = 0;
            }
            // Timed while the drain sends for a stream (a kept feed waits in _deferred), and one batch in eight
            // otherwise, so that a hand-over can be judged without a clock read in every batch of single-packet
            // heaps.
            if (_deferred.Count > 0 || (++_untimedBatches & 7) == 0)
            {
                _batchStart = Stopwatch.GetTimestamp();
            }
            // Cannot throw: completing a task that nothing waits for runs no code.
            Completion.RunUnobserved(_draining.AsSpan(0, _drainCount));
        }
        Completion next = _draining[_drainIndex];
        _draining[_drainIndex++] = default;
        if (next.IsEmpty)
        {
            return true;
        }
        try
        {
            next.Run();
        }
        catch (Exception e)
        {
            // A continuation that throws must not strand the sends behind it; the first error still surfaces.
            _failure ??= ExceptionDispatchInfo.Capture(e);
        }
        return true;
    }
}
