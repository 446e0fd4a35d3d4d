using System.Runtime.ExceptionServices;

namespace Spead2.Send;

/// <summary>One finished send to report: a heap's (or group's) result, or the point up to which flushes may end.</summary>
internal readonly struct Completion
{
    private Completion(HeapCompletionSource? source, long bytes, Exception? error, SendStream? stream, long head)
    {
        Source = source;
        Bytes = bytes;
        Error = error;
        Stream = stream;
        Head = head;
    }

    public HeapCompletionSource? Source { get; }

    public long Bytes { get; }

    public Exception? Error { get; }

    public SendStream? Stream { get; }

    public long Head { get; }

    public static Completion Result(HeapCompletionSource source, long bytes) => new(source, bytes, null, null, 0);

    public static Completion Failure(HeapCompletionSource source, Exception error) => new(source, 0, error, null, 0);

    /// <summary>Every heap of <paramref name="stream"/> before <paramref name="head"/> has been reported.</summary>
    public static Completion FlushPoint(SendStream stream, long head) => new(null, 0, null, stream, head);

    /// <summary>Completes the task, or releases the flushes; continuations run on the calling thread.</summary>
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
            Stream!.ReleaseFlushWaiters(Head);
            Interlocked.Decrement(ref Stream.PendingFlushPoints);
        }
    }
}

/// <summary>
/// Runs the continuations of finished sends on the .NET thread pool with one hand-off per batch of completions
/// instead of one per heap.
/// </summary>
/// <remarks>
/// <para>
/// The I/O threads post what a batch of packets finished; if no drain is running, one work item is queued, and it
/// completes every posted send in order (their continuations run inline there, one after another) until nothing is
/// left. While continuations keep a drain busy, later batches join it without any further hand-off. Waking a
/// parked .NET worker per heap costs the waking thread 8-19 µs on the development VM and keeps workers spinning
/// between heaps (twice spead2's CPU for 1 MiB heaps); this is what the stream's tasks cost instead.
/// </para>
/// <para>
/// A continuation that blocks delays the completions queued behind it on the same pool (never the sending itself):
/// long work after an await belongs on <see cref="Task.Run(Action)"/>. A continuation that flushes or disposes a
/// stream synchronously is fine: the wait helps the drain (<see cref="HelpUntil"/>) instead of blocking it. A captured
/// SynchronizationContext or TaskScheduler is still honoured.
/// </para>
/// </remarks>
internal sealed class CompletionDispatcher : IThreadPoolWorkItem
{
    [ThreadStatic]
    private static CompletionDispatcher? t_draining;

    private readonly object _lock = new();
    private Completion[] _pending = new Completion[64];
    private int _pendingCount;
    private bool _scheduled;
    private int _helpers;
    private long _handOffs;

    // The batch being drained, and how far; touched only by the thread that runs the drain (and helpers nested in
    // its continuations, on the same thread).
    private Completion[] _draining = new Completion[64];
    private int _drainIndex;
    private int _drainCount;
    private ExceptionDispatchInfo? _failure;

    /// <summary>Work items queued to the .NET thread pool so far (for tests and measurements).</summary>
    public long HandOffs => Volatile.Read(ref _handOffs);

    /// <summary>Whether the calling thread is running this dispatcher's drain (inside a continuation).</summary>
    public bool IsDrainingOnCurrentThread => ReferenceEquals(t_draining, this);

    /// <summary>Queues <paramref name="completion"/> and makes sure a drain will run it.</summary>
    public void Post(in Completion completion) => Post([], completion);

    /// <summary>
    /// Queues <paramref name="completions"/> and then <paramref name="last"/> (in order) and makes sure a drain will
    /// run them.
    /// </summary>
    public void Post(ReadOnlySpan<Completion> completions, in Completion last)
    {
        bool schedule;
        lock (_lock)
        {
            int needed = _pendingCount + completions.Length + 1;
            if (needed > _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(needed, _pending.Length * 2));
            }
            completions.CopyTo(_pending.AsSpan(_pendingCount));
            _pending[needed - 1] = last;
            _pendingCount = needed;
            schedule = !_scheduled;
            _scheduled = true;
            if (_helpers > 0)
            {
                Monitor.PulseAll(_lock);
            }
        }
        if (schedule)
        {
            Interlocked.Increment(ref _handOffs);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <inheritdoc/>
    public void Execute()
    {
        t_draining = this;
        try
        {
            while (true)
            {
                if (RunNext())
                {
                    continue;
                }
                lock (_lock)
                {
                    if (_pendingCount == 0)
                    {
                        _scheduled = false;
                        break;
                    }
                }
            }
        }
        finally
        {
            t_draining = null;
        }
        ExceptionDispatchInfo? failure = _failure;
        _failure = null;
        failure?.Throw();
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
            lock (_lock)
            {
                _helpers++;
                try
                {
                    // Posts wake this; a flush the feed releases without a post (nothing left to complete) does not,
                    // so the condition is polled too (this is the rare re-entrant case only).
                    while (_pendingCount == 0 && !done())
                    {
                        Monitor.Wait(_lock, 1);
                    }
                }
                finally
                {
                    _helpers--;
                }
            }
        }
    }

    // Runs the next completion of the drain; false when none is posted.
    private bool RunNext()
    {
        if (_drainIndex == _drainCount)
        {
            lock (_lock)
            {
                if (_pendingCount == 0)
                {
                    return false;
                }
                (_pending, _draining) = (_draining, _pending);
                _drainCount = _pendingCount;
                _drainIndex = 0;
                _pendingCount = 0;
            }
        }
        Completion next = _draining[_drainIndex];
        _draining[_drainIndex++] = default;
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
