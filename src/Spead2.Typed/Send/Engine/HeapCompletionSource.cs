using System.Threading.Tasks.Sources;

namespace Spead2.Send.Engine;

/// <summary>
/// The completion of one enqueued heap or group: a reusable <see cref="IValueTaskSource{TResult}"/>, so that
/// sending allocates no task per heap, with a blocking wait for the synchronous send methods.
/// </summary>
/// <remarks>
/// A source is rented when a group is enqueued and goes back to its pool when the awaiter reads the result (or,
/// for a blocking send, when the wait returns). An asynchronous source is completed through the core only: after
/// <see cref="SetResult"/> or <see cref="SetException"/> the writer must not touch it again, because the awaiter may
/// already have recycled it. A blocking source is completed under a monitor that the waiting thread holds while it
/// recycles, so the completing thread can still signal safely.
/// </remarks>
internal sealed class HeapCompletionSource : IValueTaskSource<long>
{
    private readonly CompletionSourcePool _pool;
    private readonly object _sync = new();
    private ManualResetValueTaskSourceCore<long> _core;
    private bool _blocking;
    private bool _signalled;
    private volatile bool _awaited;

    public HeapCompletionSource(CompletionSourcePool pool)
    {
        _pool = pool;
        // Continuations run where the source is completed: by default on the .NET thread pool, where the
        // CompletionDispatcher completes a whole batch of sources with one hand-off; with
        // StreamConfig.AllowSynchronousContinuations on the I/O thread itself.
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>The awaitable for the current use.</summary>
    public ValueTask<long> Task => new(this, _core.Version);

    /// <summary>Marks the source as waited on by <see cref="WaitForResult"/> rather than awaited.</summary>
    public void PrepareForBlockingWait() => _blocking = true;

    /// <summary>Whether a thread waits for this source with <see cref="WaitForResult"/> (nothing runs as a continuation).</summary>
    public bool IsBlocking => _blocking;

    /// <summary>
    /// Whether nothing waits for this source yet: no continuation is registered and no thread blocks on it. Completing
    /// such a source runs no code, so it may be completed ahead of sources that do have continuations.
    /// </summary>
    public bool IsUnobserved => !_awaited && !_blocking;

    /// <summary>Completes with the number of bytes sent.</summary>
    public void SetResult(long bytes)
    {
        // Read before completing: once completed, an asynchronous source may be recycled and rented again.
        bool blocking = _blocking;
        _core.SetResult(bytes);
        if (blocking)
        {
            SignalBlockingWaiter();
        }
    }

    /// <summary>Completes with a failure (an <see cref="OperationCanceledException"/> means cancelled).</summary>
    public void SetException(Exception error)
    {
        bool blocking = _blocking;
        _core.SetException(error);
        if (blocking)
        {
            SignalBlockingWaiter();
        }
    }

    /// <summary>Blocks until completion, then returns the result (or throws) and recycles the source.</summary>
    public long WaitForResult()
    {
        lock (_sync)
        {
            while (!_signalled)
            {
                Monitor.Wait(_sync);
            }
        }
        return GetResult(_core.Version);
    }

    /// <inheritdoc/>
    public long GetResult(short token)
    {
        if (token != _core.Version)
        {
            throw new InvalidOperationException("The result of this send has already been consumed: a ValueTask may be awaited only once.");
        }
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            _blocking = false;
            _signalled = false;
            _awaited = false;
            _pool.Return(this);
        }
    }

    /// <inheritdoc/>
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    /// <inheritdoc/>
    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // Set first: a completer that still sees the source unobserved completes it at a moment when this
        // registration finds it completed, and the core then queues the continuation itself.
        _awaited = true;
        _core.OnCompleted(continuation, state, token, flags);
    }

    private void SignalBlockingWaiter()
    {
        lock (_sync)
        {
            _signalled = true;
            Monitor.Pulse(_sync);
        }
    }
}

/// <summary>A small per-stream pool of <see cref="HeapCompletionSource"/>; unreturned sources are simply collected.</summary>
/// <remarks>
/// A sender loop returns one source (reading a result) and then rents one (queuing the next heap), over and over: a
/// one-entry cache serves that without the lock, which the rest of the pool keeps for the less regular cases. Any
/// thread may return, and renting is done by one thread at a time (the stream rents under its tail lock), so neither
/// needs an interlocked operation: only a return can fill the cache and only a rent can empty it; returns that race
/// may drop a source (collected, never reused twice).
/// </remarks>
internal sealed class CompletionSourcePool
{
    private readonly HeapCompletionSource?[] _items;
    private readonly Lock _lock = new();
    private int _count;
    private HeapCompletionSource? _cached;

    public CompletionSourcePool(int capacity)
    {
        _items = new HeapCompletionSource?[capacity];
    }

    /// <summary>Takes a source; callers must not rent concurrently (the stream rents under its tail lock).</summary>
    public HeapCompletionSource Rent()
    {
        if (Volatile.Read(ref _cached) is { } cached)
        {
            Volatile.Write(ref _cached, null);
            return cached;
        }
        lock (_lock)
        {
            if (_count > 0)
            {
                HeapCompletionSource source = _items[--_count]!;
                _items[_count] = null;
                return source;
            }
        }
        return new HeapCompletionSource(this);
    }

    public void Return(HeapCompletionSource source)
    {
        // A plain check and store, not an interlocked exchange (a measurable share of a single-packet heap's cost):
        // two returns that race both see an empty cache, and one source is then dropped for the collector, which is
        // harmless; no source can be handed out twice, because a source is returned once per use and only Rent takes
        // from the cache.
        if (Volatile.Read(ref _cached) is null)
        {
            Volatile.Write(ref _cached, source);
            return;
        }
        lock (_lock)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = source;
            }
        }
    }
}
