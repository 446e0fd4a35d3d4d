using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spead2.Internal;
using Spead2.Protocol;
using Spead2.Send.Engine;
using Spead2.Send.Pacing;

namespace Spead2.Send;

/// <summary>
/// A stream that sends heaps over one transport: the engine shared by <see cref="UdpStream"/>,
/// <see cref="TcpStream"/>, <see cref="BytesStream"/> and <see cref="InprocStream"/>.
/// </summary>
/// <remarks>
/// <para>
/// Heaps are queued in call order (at most <see cref="StreamConfig.MaxHeaps"/> at a time); a thread of the
/// stream's <see cref="IOThreadPool"/> (<see cref="StreamConfig.ThreadPool"/>, or a private one-thread pool) turns
/// them into packets, paces them (<see cref="StreamConfig.Rate"/>, <see cref="StreamConfig.BurstSize"/>,
/// <see cref="StreamConfig.BurstRateRatio"/>, or a per-heap rate) and hands them to the transport in batches.
/// Every method may be called from any thread.
/// </para>
/// <para>
/// Heap cnts follow spead2: automatic cnts start at 1 and advance by 1 (see <see cref="SetCntSequence"/>), masked to
/// the heap flavour's address bits; an explicit cnt is used as given and does not advance the sequence.
/// </para>
/// <para>
/// A heap is referenced, not copied: it (and the memory of its items) must not change until its send has completed.
/// </para>
/// </remarks>
public abstract class SendStream : IDisposable, IAsyncDisposable
{
    internal const int GroupQueued = 0;
    internal const int GroupStarted = 1;
    internal const int GroupCancelled = 2;

    private readonly PacketTransport _transport;
    private readonly StreamConfig _config;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly int _maxHeaps;
    private readonly Slot[] _slots;
    private readonly long _slotMask;
    private readonly double _defaultWaitPerByte;
    private readonly CompletionSourcePool _sourcePool;
    private readonly IOThreadPool _pool;
    private readonly bool _ownsPool;
    private readonly PacketFeed _feed;

    // Protects the tail end of the queue: Tail (written only under it), slot contents at and after the tail,
    // _nextCnt/_stepCnt, NeedWakeup, _disposed, _fault.
    internal readonly ShortLock TailLock = new();
    internal long Tail;
    private ulong _nextCnt = 1;
    private ulong _stepCnt = 1;

    // Flush points posted to the completion dispatcher by the feed (one a batch) and not yet run: while there are any,
    // the feed must post the next one too (behind the completions it waits for) instead of releasing flushes itself.
    // Counted without interlocked operations, each count by its one writer: FeedFlushPointsPosted by the feed,
    // FeedFlushPointsRun by the completion thread.
    internal long FeedFlushPointsPosted;
    internal long FeedFlushPointsRun;

    // Cancellations begun and not yet complete (their heap's task not yet failed). Counted up before a group is marked
    // cancelled and down once its task has failed: the feed may retire a cancelled group, and move _completedHead past
    // it, while its canceller is still on its way, so no flush ends while this is above zero.
    private int _cancellationsInFlight;

    /// <summary>Runs on the cancelling thread once it has marked groups cancelled, before their tasks fail (tests hold a cancellation there).</summary>
    internal Action? AfterGroupMarkedCancelled;

    // Set by the feed when it went idle (it starts idle); the next enqueue clears it and schedules the feed.
    internal bool NeedWakeup = true;
    private bool _disposed;
    private Exception? _fault;

    // The first cancellable token this stream was given, registered once for the stream's lifetime: a sender that
    // passes the same token with every heap (the usual shutdown token) then costs no registration per heap. Groups
    // queued with it are marked (Slot.SharedToken) and cancelled by one walk of the queue; groups with any other
    // token register their own callback. _sharedClaimed is set once, by the enqueue that registers.
    private CancellationToken _sharedToken;
    private CancellationTokenRegistration _sharedRegistration;
    private int _sharedClaimed;

    // Oldest slot still in use. Written only by the feed (or by OnWriterFailed under the tail lock); read by
    // enqueuers to test for a full queue.
    internal long Head;

    // The head once the heaps before it have also been completed (the feed frees slots before it completes their
    // tasks, so that continuations can enqueue at once). Flush waits for this one, so that the tasks of the heaps
    // it covers are complete when it returns. Written only where completions run.
    private long _completedHead;

    // Flush waiters: blocking ones wait on the monitor, asynchronous ones are listed.
    private readonly object _flushLock = new();
    private readonly List<(long Target, TaskCompletionSource Source)> _asyncFlushes = [];
    private int _flushWaiters;

    /// <summary>
    /// Creates the engine around <paramref name="transport"/> and puts it on its I/O thread pool (the configured one,
    /// or a private pool of one thread).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="timeProvider"/> is not the clock of the configured pool.</exception>
    /// <exception cref="ObjectDisposedException">The configured pool has been disposed.</exception>
    private protected SendStream(PacketTransport transport, StreamConfig? config, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _config = (config ?? new StreamConfig()).Clone();
        _logger = CreateLogger(_config);
        Metrics = new SendMetrics(_config.MeterFactory, _config.StreamName);
        IOThreadPool? pool = _config.ThreadPool;
        if (pool is not null && timeProvider is not null && !ReferenceEquals(timeProvider, pool.TimeProvider))
        {
            throw new ArgumentException(
                "The stream's time provider differs from its I/O thread pool's: the streams of a pool pace with the pool's clock (give it to the IOThreadPool constructor).",
                nameof(timeProvider));
        }
        _time = pool?.TimeProvider ?? timeProvider ?? TimeProvider.System;
        _maxHeaps = _config.MaxHeaps;

        // A power-of-two ring at least MaxHeaps long, so indices can be masked; the limit itself is _maxHeaps.
        int ring = (int)Math.Min(1L << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)_maxHeaps));
        _slots = new Slot[ring];
        for (int i = 0; i < ring; i++)
        {
            _slots[i] = new Slot(this);
        }
        _slotMask = ring - 1;
        _defaultWaitPerByte = RateLimiter.WaitPerByte(_config.Rate, _time.TimestampFrequency);
        _sourcePool = new CompletionSourcePool(Math.Min(_maxHeaps, 1024) + 8);

        _ownsPool = pool is null;
        _pool = pool ?? new IOThreadPool(1, _time, $"Spead2 {GetType().Name} writer");
        try
        {
            _feed = new PacketFeed(this, transport, _config, _time,
                _config.AllowSynchronousContinuations ? null : _pool.Completions);
            _pool.Attach(_feed);
        }
        catch
        {
            if (_ownsPool)
            {
                _pool.Dispose();
            }
            throw;
        }
    }

    /// <summary>The stream's configuration (a copy of the one given at construction; changing it has no effect).</summary>
    public StreamConfig Config => _config.Clone();

    /// <summary>Number of substreams (destinations); <c>substreamIndex</c> arguments must be below it.</summary>
    public int NumSubstreams => _transport.NumSubstreams;

    /// <summary>Whether the writer has run out of work and waits for a heap (for tests).</summary>
    internal bool WriterIsIdle
    {
        get
        {
            using (TailLock.EnterScope())
            {
                return NeedWakeup;
            }
        }
    }

    /// <summary>Whether a Flush or FlushAsync is waiting.</summary>
    internal bool HasFlushWaiters => Volatile.Read(ref _flushWaiters) > 0;

    /// <summary>The I/O thread pool the stream runs on.</summary>
    internal IOThreadPool Pool => _pool;

    /// <summary>The queue's ring of slots (read by the feed).</summary>
    internal Slot[] Slots => _slots;

    /// <summary>The logger warnings go to.</summary>
    private protected ILogger Logger => _logger;

    /// <summary>This stream's counters (tagged with its name).</summary>
    internal SendMetrics Metrics { get; }

    /// <summary>The logger of a stream with this configuration (also used before the stream exists, for socket setup).</summary>
    internal static ILogger CreateLogger(StreamConfig? config) =>
        config?.LoggerFactory?.CreateLogger<SendStream>() ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Sends a heap and waits until all its packets have been handed to the transport.
    /// </summary>
    /// <param name="heap">The heap.</param>
    /// <param name="cnt">Its heap cnt, or -1 (any negative value) for the next automatic cnt.</param>
    /// <param name="substreamIndex">The destination, below <see cref="NumSubstreams"/>.</param>
    /// <param name="rate">Bytes per second for this heap; negative for <see cref="StreamConfig.Rate"/>, 0 for unlimited.</param>
    /// <returns>The number of bytes sent (the sum of its packet sizes).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="heap"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The substream index, cnt, rate or packet size is out of range,
    /// or the heap is too large for its flavour.</exception>
    /// <exception cref="QueueFullException"><see cref="StreamConfig.MaxHeaps"/> heaps are already queued.</exception>
    /// <exception cref="IOException">The transport could not send (part of) the heap.</exception>
    /// <exception cref="ObjectDisposedException">The stream has been disposed.</exception>
    public long SendHeap(Heap heap, long cnt = -1, int substreamIndex = 0, double rate = -1)
    {
        ThrowIfOnWriterThread(nameof(SendHeap));
        var reference = new HeapReference(heap, cnt, substreamIndex, rate);
        HeapCompletionSource source = EnqueueOrThrow(new ReadOnlySpan<HeapReference>(in reference), GroupMode.RoundRobin, default, blocking: true, single: true);
        return source.WaitForResult();
    }

    /// <summary>
    /// Queues a heap for sending and returns a task that completes when all its packets have been handed to the
    /// transport. Queueing happens before this method returns, so heaps are sent in call order.
    /// </summary>
    /// <param name="heap">The heap.</param>
    /// <param name="cnt">Its heap cnt, or -1 (any negative value) for the next automatic cnt.</param>
    /// <param name="substreamIndex">The destination, below <see cref="NumSubstreams"/>.</param>
    /// <param name="rate">Bytes per second for this heap; negative for <see cref="StreamConfig.Rate"/>, 0 for unlimited.</param>
    /// <param name="cancellationToken">Cancels the heap if the writer has not started it yet: it is then not sent at
    /// all and the task is cancelled. Once its first packet has gone, the heap is always sent in full.</param>
    /// <returns>The number of bytes sent. The task faults with <see cref="QueueFullException"/> if
    /// <see cref="StreamConfig.MaxHeaps"/> heaps were already queued (the heap is dropped; nothing else is affected),
    /// or with an <see cref="IOException"/> if the transport failed. Await it once only.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="heap"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The substream index, cnt, rate or packet size is out of range,
    /// or the heap is too large for its flavour (thrown at once; nothing is queued).</exception>
    /// <exception cref="ObjectDisposedException">The stream has been disposed.</exception>
    public ValueTask<long> SendHeapAsync(Heap heap, long cnt = -1, int substreamIndex = 0, double rate = -1, CancellationToken cancellationToken = default)
    {
        var reference = new HeapReference(heap, cnt, substreamIndex, rate);
        return Enqueue(new ReadOnlySpan<HeapReference>(in reference), GroupMode.RoundRobin, cancellationToken, single: true);
    }

    /// <summary>
    /// Sends several heaps as one group and waits for all of them. Either every heap is queued or none is (and then
    /// the automatic cnt sequence does not advance).
    /// </summary>
    /// <param name="heaps">The heaps, with their cnts, substreams and rates. Automatic cnts are assigned in list order.</param>
    /// <param name="mode">Whether packets of the heaps are interleaved or sent heap after heap.</param>
    /// <returns>The number of bytes sent for the whole group.</returns>
    /// <exception cref="ArgumentException">The list is empty or holds a default <see cref="HeapReference"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A substream index, cnt or packet size is out of range.</exception>
    /// <exception cref="QueueFullException">The group does not fit in the queue.</exception>
    /// <exception cref="IOException">The transport failed; the first error of the group is reported.</exception>
    /// <exception cref="ObjectDisposedException">The stream has been disposed.</exception>
    public long SendHeaps(IReadOnlyList<HeapReference> heaps, GroupMode mode)
    {
        ThrowIfOnWriterThread(nameof(SendHeaps));
        HeapReference[]? rented = null;
        try
        {
            ReadOnlySpan<HeapReference> span = AsSpan(heaps, ref rented);
            return EnqueueOrThrow(span, mode, default, blocking: true, single: false).WaitForResult();
        }
        finally
        {
            Return(rented);
        }
    }

    /// <summary>
    /// Queues several heaps as one group (all or none) and returns a task for the whole group.
    /// </summary>
    /// <param name="heaps">The heaps, with their cnts, substreams and rates. Automatic cnts are assigned in list order.</param>
    /// <param name="mode">Whether packets of the heaps are interleaved or sent heap after heap.</param>
    /// <param name="cancellationToken">Cancels the group if the writer has not started it yet.</param>
    /// <returns>The number of bytes sent for the group; faults with <see cref="QueueFullException"/> if the group did
    /// not fit (nothing queued), or with the group's first transport error. Await it once only.</returns>
    /// <exception cref="ArgumentException">The list is empty or holds a default <see cref="HeapReference"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A substream index, cnt or packet size is out of range.</exception>
    /// <exception cref="ObjectDisposedException">The stream has been disposed.</exception>
    public ValueTask<long> SendHeapsAsync(IReadOnlyList<HeapReference> heaps, GroupMode mode, CancellationToken cancellationToken = default)
    {
        HeapReference[]? rented = null;
        try
        {
            return Enqueue(AsSpan(heaps, ref rented), mode, cancellationToken, single: false);
        }
        finally
        {
            Return(rented);
        }
    }

    /// <summary>
    /// Blocks until every heap queued before this call has completed (sent, failed or cancelled).
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from the writer thread (it would wait for itself).</exception>
    public void Flush()
    {
        long target = Volatile.Read(ref Tail);
        if (IsCompletedUpTo(target))
        {
            return;
        }
        ThrowIfOnWriterThread(nameof(Flush));
        if (_pool.Completions.IsDrainingOnCurrentThread)
        {
            // Called from a continuation that the completion drain runs: the completions this waits for are behind
            // it in the same drain, so run them here instead of waiting for ourselves.
            _pool.Completions.HelpUntil(() => IsCompletedUpTo(target));
            return;
        }
        lock (_flushLock)
        {
            Interlocked.Increment(ref _flushWaiters);
            try
            {
                while (!IsCompletedUpTo(target))
                {
                    Monitor.Wait(_flushLock);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _flushWaiters);
            }
        }
    }

    /// <summary>
    /// Completes when every heap queued before this call has completed; heaps queued later are not waited for.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the heaps are still sent).</param>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        long target = Volatile.Read(ref Tail);
        if (IsCompletedUpTo(target))
        {
            return Task.CompletedTask;
        }
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushLock)
        {
            Interlocked.Increment(ref _flushWaiters);
            if (IsCompletedUpTo(target))
            {
                Interlocked.Decrement(ref _flushWaiters);
                return Task.CompletedTask;
            }
            _asyncFlushes.Add((target, source));
        }
        return source.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Whether the tasks of every heap before <paramref name="target"/> are complete: the heaps were retired and their
    /// tasks completed, and no cancellation is still failing a task (it may be one of them).
    /// </summary>
    private bool IsCompletedUpTo(long target) =>
        Volatile.Read(ref _completedHead) >= target && Volatile.Read(ref _cancellationsInFlight) == 0;

    /// <summary>
    /// A blocking call on a thread of the stream's pool (from a continuation, see
    /// <see cref="StreamConfig.AllowSynchronousContinuations"/>) would wait for the thread it blocks: refuse it.
    /// </summary>
    private void ThrowIfOnWriterThread(string method)
    {
        if (_pool.IsCurrentThread)
        {
            throw new InvalidOperationException(
                $"{method} cannot be called on the stream's writer thread, a thread of its I/O thread pool (from a continuation run there because of " +
                $"{nameof(StreamConfig)}.{nameof(StreamConfig.AllowSynchronousContinuations)}): it would wait for itself. Use the asynchronous method.");
        }
    }

    /// <summary>
    /// Sets the automatic heap cnt sequence: the next heap sent with an automatic cnt gets <paramref name="next"/>,
    /// and each one after it <paramref name="step"/> more (64-bit wrap-around; the low address bits of the heap's
    /// flavour are used). Keeping the cnts of several senders apart is the caller's job.
    /// </summary>
    /// <param name="next">The next cnt (its 64 bits are used as unsigned).</param>
    /// <param name="step">The increment (its 64 bits are used as unsigned); not 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is 0.</exception>
    public void SetCntSequence(long next, long step)
    {
        if (step == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The cnt step cannot be 0.");
        }
        using (TailLock.EnterScope())
        {
            _nextCnt = (ulong)next;
            _stepCnt = (ulong)step;
        }
    }

    /// <summary>
    /// Waits for every queued heap to complete, stops the writer and releases the transport. Later sends throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called on the writer thread (from a continuation, see
    /// <see cref="StreamConfig.AllowSynchronousContinuations"/>) while heaps are still queued: only the writer can send
    /// them. Use <see cref="DisposeAsync"/>.</exception>
    public void Dispose()
    {
        bool onWriter = _pool.IsCurrentThread;
        if (onWriter && Volatile.Read(ref Head) != Volatile.Read(ref Tail))
        {
            ThrowIfOnWriterThread(nameof(Dispose));
        }
        if (!BeginDispose())
        {
            return;
        }
        if (!onWriter)
        {
            Flush();
        }
        EndDispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Like <see cref="Dispose()"/>, but waits for the queued heaps asynchronously.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!BeginDispose())
        {
            return;
        }
        await FlushAsync().ConfigureAwait(false);
        EndDispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what a derived transport owns besides its <see cref="PacketTransport"/>; called once, after the writer stopped.</summary>
    private protected virtual void OnDisposed()
    {
    }

    private bool BeginDispose()
    {
        using (TailLock.EnterScope())
        {
            if (_disposed)
            {
                return false;
            }
            _disposed = true;
            return true;
        }
    }

    private void EndDispose()
    {
        // Nothing is queued any more, but the feed may still be sitting out the pause after its last burst: it is
        // taken off the pool at once. From a continuation inside the feed's own run, the pool finishes this when
        // the run returns.
        if (_pool.Detach(_feed))
        {
            OnDetached();
        }
    }

    /// <summary>The feed is off the pool for good: release the transport (and the private pool).</summary>
    internal void OnDetached()
    {
        // Nothing is queued any more: the shared token need not call back (without waiting for a callback that is
        // running, which finds the queue empty).
        _sharedRegistration.Unregister();
        _transport.Dispose();
        if (_ownsPool)
        {
            _pool.Shutdown();
        }
        OnDisposed();
    }

    private static ReadOnlySpan<HeapReference> AsSpan(IReadOnlyList<HeapReference> heaps, ref HeapReference[]? rented)
    {
        ArgumentNullException.ThrowIfNull(heaps);
        switch (heaps)
        {
            case HeapReferenceList list:
                return list.AsSpan();
            case HeapReference[] array:
                return array;
            case List<HeapReference> list:
                return CollectionsMarshal.AsSpan(list);
            default:
                int n = heaps.Count;
                rented = System.Buffers.ArrayPool<HeapReference>.Shared.Rent(n);
                for (int i = 0; i < n; i++)
                {
                    rented[i] = heaps[i];
                }
                return rented.AsSpan(0, n);
        }
    }

    private static void Return(HeapReference[]? rented)
    {
        if (rented is not null)
        {
            System.Buffers.ArrayPool<HeapReference>.Shared.Return(rented, clearArray: true);
        }
    }

    private ValueTask<long> Enqueue(ReadOnlySpan<HeapReference> heaps, GroupMode mode, CancellationToken cancellationToken, bool single)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            return ValueTask.FromCanceled<long>(cancellationToken);
        }
        HeapCompletionSource? source = TryEnqueue(heaps, mode, cancellationToken, blocking: false, single, out Exception? rejected);
        return source is not null ? source.Task : ValueTask.FromException<long>(rejected!);
    }

    private HeapCompletionSource EnqueueOrThrow(ReadOnlySpan<HeapReference> heaps, GroupMode mode, CancellationToken cancellationToken, bool blocking, bool single)
    {
        HeapCompletionSource? source = TryEnqueue(heaps, mode, cancellationToken, blocking, single, out Exception? rejected);
        if (source is null)
        {
            throw rejected!;
        }
        return source;
    }

    /// <summary>
    /// Queues a group, all or nothing. Usage errors throw; a full queue (or a broken writer) returns null with the
    /// reason, so the asynchronous methods can report it through their task.
    /// </summary>
    private HeapCompletionSource? TryEnqueue(
        ReadOnlySpan<HeapReference> heaps, GroupMode mode, CancellationToken cancellationToken, bool blocking, bool single, out Exception? rejected)
    {
        int n = heaps.Length;
        if (n == 0)
        {
            throw new ArgumentException("The list of heaps to send is empty.", nameof(heaps));
        }
        if (mode is not (GroupMode.RoundRobin or GroupMode.Serial))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown group mode.");
        }
        int numSubstreams = _transport.NumSubstreams;
        int maxPacketSize = _config.MaxPacketSize;
        bool sharedToken = cancellationToken.CanBeCanceled && UsesSharedRegistration(cancellationToken);
        HeapCompletionSource source;
        bool wake = false;
        using (TailLock.EnterScope())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fault is not null)
            {
                rejected = _fault;
                return null;
            }
            long tail = Tail;
            long head = Volatile.Read(ref Head);
            ulong nextCnt = _nextCnt;
            int filled = 0;
            try
            {
                for (int i = 0; i < n; i++)
                {
                    ref readonly HeapReference r = ref heaps[i];
                    Heap heap = r.Heap ?? throw new ArgumentException($"Element {i} has no heap (a default HeapReference).", nameof(heaps));
                    if (r.SubstreamIndex >= numSubstreams)
                    {
                        throw new ArgumentOutOfRangeException(single ? "substreamIndex" : nameof(heaps), r.SubstreamIndex,
                            $"The substream index is out of range: this stream has {numSubstreams} substream(s).");
                    }
                    if (tail + i - head >= _maxHeaps)
                    {
                        Unwind(tail, filled);
                        SendLog.QueueFull(_logger, _maxHeaps, n);
                        Metrics.HeapsDropped.Add(n);
                        rejected = QueueFullException.ForStream(_maxHeaps, n);
                        return null;
                    }
                    long cnt = r.Cnt;
                    long mask = heap.Flavour.MaxHeapAddress;
                    if (cnt < 0)
                    {
                        cnt = (long)(nextCnt & (ulong)mask);
                        nextCnt += _stepCnt;
                    }
                    else if (cnt > mask)
                    {
                        throw new ArgumentOutOfRangeException(single ? "cnt" : nameof(heaps), cnt,
                            $"The heap cnt is out of range: at most {mask} in {heap.Flavour}.");
                    }

                    Slot s = _slots[(tail + i) & _slotMask];
                    // Set up in place (a failure leaves the generator as it was, and Unwind clears the slot anyway).
                    filled = i + 1;
                    s.Generator.Start(heap, cnt, maxPacketSize);
                    s.Heap = heap;
                    s.SubstreamIndex = r.SubstreamIndex;
                    s.WaitPerByte = r.Rate < 0 ? _defaultWaitPerByte : RateLimiter.WaitPerByte(r.Rate, _time.TimestampFrequency);
                    s.Mode = mode;
                    s.GroupEnd = tail + n;
                    // Round robin cycles back to the first heap; serial marks the last heap as terminal.
                    s.GroupNext = i + 1 < n ? tail + i + 1 : (mode == GroupMode.RoundRobin ? tail : tail + i);
                }
            }
            catch
            {
                Unwind(tail, filled);
                throw;
            }

            Slot first = _slots[tail & _slotMask];
            source = _sourcePool.Rent();
            if (blocking)
            {
                source.PrepareForBlockingWait();
            }
            first.Completion = source;
            first.FirstError = null;
            first.BytesSent = 0;
            first.State = GroupQueued;
            first.SharedToken = sharedToken;
            first.Cancellable = cancellationToken.CanBeCanceled;
            if (cancellationToken.CanBeCanceled && !sharedToken)
            {
                // Registered before the group is published, so the writer (which disposes the registration) never
                // sees a half-set slot. If the token is already cancelled the callback runs right here.
                first.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Slot)state!).Stream.CancelGroup((Slot)state!, token), first);
            }
            _nextCnt = nextCnt;
            Volatile.Write(ref Tail, tail + n);
            if (sharedToken && cancellationToken.IsCancellationRequested)
            {
                // Cancelled before the shared callback could see this group (it ran, or runs, without it).
                CancelGroup(first, cancellationToken);
            }
            if (NeedWakeup)
            {
                NeedWakeup = false;
                wake = true;
            }
        }
        if (wake)
        {
            if (!blocking && !_config.AllowSynchronousContinuations && _pool.Completions.IsDrainingOnCurrentThread)
            {
                // Queued by a continuation of this pool's drain: the drain sends it when its batch of continuations
                // is done (no thread hand-off either way).
                _pool.Completions.ScheduleFromDrain(_pool, _feed);
            }
            else
            {
                _pool.Schedule(_feed);
            }
        }
        rejected = null;
        return source;
    }

    // Clears slots filled by a failed enqueue; the tail was never moved, so the writer has not seen them.
    private void Unwind(long tail, int filled)
    {
        for (int i = 0; i < filled; i++)
        {
            _slots[(tail + i) & _slotMask].Clear();
        }
    }

    /// <summary>
    /// Whether a group queued with <paramref name="token"/> can rely on the stream's one registration: true for the
    /// token registered first (registering it now if none is yet); false for any other token.
    /// </summary>
    private bool UsesSharedRegistration(CancellationToken token)
    {
        if (Volatile.Read(ref _sharedClaimed) != 0)
        {
            // Written once, just after the claim: a group queued before that write registers its own callback.
            return _sharedToken == token;
        }
        if (Interlocked.CompareExchange(ref _sharedClaimed, 1, 0) != 0)
        {
            return false;
        }
        _sharedToken = token;
        // Before the group is queued, so no group marked for it can be missed; an already cancelled token runs the
        // callback right here, finding nothing to cancel, and the enqueue then cancels its own group (see below).
        _sharedRegistration = token.UnsafeRegister(static (state, t) => ((SendStream)state!).CancelSharedGroups(t), this);
        return true;
    }

    // The shared token was cancelled: every group still queued with it is cancelled. Claimed under the tail lock,
    // because slots are only reused by enqueues, which take it too; completed outside it.
    private void CancelSharedGroups(CancellationToken token)
    {
        List<HeapCompletionSource>? cancelled = null;
        // One count for the whole walk, so that every group it marks is covered from the moment it is marked.
        Interlocked.Increment(ref _cancellationsInFlight);
        using (TailLock.EnterScope())
        {
            long tail = Tail;
            for (long g = Volatile.Read(ref Head); g < tail;)
            {
                Slot first = _slots[g & _slotMask];
                long end = first.GroupEnd;
                if (first.SharedToken && first.Completion is { } completion
                    && Interlocked.CompareExchange(ref first.State, GroupCancelled, GroupQueued) == GroupQueued)
                {
                    Interlocked.Increment(ref _cancellationsInFlight);
                    (cancelled ??= []).Add(completion);
                }
                if (end <= g)
                {
                    break; // cannot happen: a group's first slot keeps its end until an enqueue reuses it
                }
                g = end;
            }
        }
        if (cancelled is not null)
        {
            AfterGroupMarkedCancelled?.Invoke();
            foreach (HeapCompletionSource completion in cancelled)
            {
                FailCancelled(completion, token);
            }
        }
        EndCancellation();
    }

    private void CancelGroup(Slot first, CancellationToken token)
    {
        // Counted before the group is marked: from then on the feed may retire it (see _cancellationsInFlight).
        Interlocked.Increment(ref _cancellationsInFlight);
        if (Interlocked.CompareExchange(ref first.State, GroupCancelled, GroupQueued) == GroupQueued)
        {
            AfterGroupMarkedCancelled?.Invoke();
            FailCancelled(first.Completion!, token);
        }
        else
        {
            EndCancellation();
        }
    }

    // Completes a group cancelled before it was sent (its state already says so, so the feed skips it), then ends the
    // cancellation's count.
    private void FailCancelled(HeapCompletionSource completion, CancellationToken token)
    {
        // Through the pool's completion thread, even with synchronous continuations: this runs on the thread that
        // cancelled the token, perhaps under the tail lock (a token cancelled during the enqueue), where user code must
        // not run; and a continuation that flushed there would wait for its own cancellation to end.
        var failure = Completion.Failure(completion, new OperationCanceledException("The heap was cancelled before it was sent.", token));
        if (_transport.MayWaitOnPeer)
        {
            // A TCP send may wait for as long as the peer does not read, and the completion thread may be the one
            // waiting (it sends a sender loop's heaps itself): fail the heap on the .NET thread pool instead.
            ThreadPool.UnsafeQueueUserWorkItem(
                static state =>
                {
                    state.Failure.Run();
                    state.Stream.EndCancellation();
                },
                (Failure: failure, Stream: this),
                preferLocal: false);
            return;
        }
        _pool.Completions.Post([failure], Completion.CancellationEnd(this), wake: true);
    }

    /// <summary>A cancellation has failed its heap's task (or found nothing to cancel): flushes may end once none is left.</summary>
    internal void EndCancellation()
    {
        // The decrement is a full fence, pairing with the Interlocked.Increment of _flushWaiters in Flush/FlushAsync.
        if (Interlocked.Decrement(ref _cancellationsInFlight) == 0)
        {
            WakeFlushWaiters();
        }
    }

    /// <summary>The feed failed unexpectedly (a bug): every queued group and every later send fails.</summary>
    internal void OnWriterFailed(Exception e)
    {
        SendLog.WriterFailed(_logger, e);
        var error = new IOException("The send stream's writer failed: " + e.Message, e);
        var pending = new List<Completion>();
        using (TailLock.EnterScope())
        {
            _fault = error;
            long head = Head;
            while (head != Tail)
            {
                Slot first = _slots[head & _slotMask];
                long end = first.GroupEnd;
                first.Registration.Dispose();
                // Mark it started so that no cancellation can complete it after us.
                int previous = Interlocked.Exchange(ref first.State, GroupStarted);
                if (previous != GroupCancelled && first.Completion is { } completion)
                {
                    pending.Add(Completion.Failure(completion, error));
                }
                for (; head != end; head++)
                {
                    _slots[head & _slotMask].Clear();
                }
            }
            Volatile.Write(ref Head, head);
        }
        _feed.Publish(pending.ToArray(), Volatile.Read(ref Head));
    }

    /// <summary>Called once the heaps before <paramref name="head"/> have been completed: ends the flushes waiting for them.</summary>
    internal void ReleaseFlushWaiters(long head)
    {
        // Flush points may be released from the feed and from the dispatcher: only ever move forwards.
        long current = Volatile.Read(ref _completedHead);
        while (true)
        {
            if (head <= current)
            {
                // Nothing new: whoever moved the head that far also looks for the waiters it releases.
                return;
            }
            long seen = Interlocked.CompareExchange(ref _completedHead, head, current);
            if (seen == current)
            {
                break;
            }
            current = seen;
        }
        // The compare-exchange is a full fence, pairing with the Interlocked.Increment in Flush/FlushAsync: either
        // they see the new head or we see them.
        WakeFlushWaiters();
    }

    // Wakes the blocking flushes to look again, and ends the asynchronous ones that are now covered.
    private void WakeFlushWaiters()
    {
        if (Volatile.Read(ref _flushWaiters) == 0)
        {
            return;
        }
        lock (_flushLock)
        {
            Monitor.PulseAll(_flushLock);
            for (int i = _asyncFlushes.Count - 1; i >= 0; i--)
            {
                if (IsCompletedUpTo(_asyncFlushes[i].Target))
                {
                    _asyncFlushes[i].Source.TrySetResult();
                    _asyncFlushes.RemoveAt(i);
                    Interlocked.Decrement(ref _flushWaiters);
                }
            }
        }
    }

    /// <summary>One queued heap; the first slot of a group also holds the group's completion state.</summary>
    internal sealed class Slot(SendStream stream)
    {
        public readonly SendStream Stream = stream;

        public Heap? Heap;
        public Packetizer Generator;
        public int SubstreamIndex;
        public double WaitPerByte;
        public GroupMode Mode;
        public long GroupEnd;
        public long GroupNext;

        // Group state, valid in the group's first slot.
        public HeapCompletionSource? Completion;
        public Exception? FirstError;
        public long BytesSent;
        public int State;
        public CancellationTokenRegistration Registration;

        // Queued with the stream's shared token: cancelled by the stream's one registration, not its own.
        public bool SharedToken;

        // Queued with a token that can be cancelled: only then may another thread change State, and the writer needs
        // an interlocked operation to claim the group.
        public bool Cancellable;

        public void Clear()
        {
            Heap = null;
            Generator = default;
            Completion = null;
            FirstError = null;
            Registration = default;
            SharedToken = false;
            Cancellable = false;
        }
    }
}
