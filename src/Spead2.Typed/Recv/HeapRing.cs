using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Spead2.Recv.Native;

namespace Spead2.Recv;

/// <summary>
/// The bounded queue between a stream's readers and its consumer (spead2's ring buffer). Readers write
/// (reader threads block while it is full, asynchronous writers await); the consumer reads with
/// <see cref="ReadAsync"/>. A read that has to wait is completed by a delivery thread of the stream, not
/// by the thread pool: the consumer's continuation runs on that thread until it awaits again. The
/// delivery thread sleeps on a <see cref="WakeSignal"/>, which writers set after leaving the lock.
/// </summary>
/// <remarks>
/// Why not a <c>Channel</c>: a channel completes a waiting read on the thread pool, and for a consumer that
/// keeps up (it waits for nearly every heap) each heap then wakes a pool worker that spins in
/// <c>sched_yield</c> looking for more work before it sleeps. Measured on 2 cores receiving 1 MiB heaps
/// at 10 Gb/s that was 270,000 involuntary context switches for 3,000 heaps and a third of the
/// receiver's CPU. The delivery thread sleeps without spinning, and is woken outside the ring's lock
/// (see <see cref="WakeSignal"/> for why not <see cref="Monitor.Pulse(object)"/>).
/// Reads that wait are pooled objects, so steady-state reading allocates nothing.
/// </remarks>
internal sealed class HeapRing
{
    // Reader threads blocked on a full ring look at their cancellation token this often.
    private const int BlockedWriterPollMs = 50;

    private readonly object _sync = new();
    private readonly ReceivedHeap?[] _items;
    private readonly Queue<Waiter> _waiters = new();
    private int _head;
    private int _count;
    private bool _completed;
    private Exception? _fault;
    private Waiter? _spare;
    private int _blockedWriters;
    private TaskCompletionSource? _space;
    private bool _delivering;
    // True while the delivery thread sleeps (or is about to) on _wake; whoever clears it sets _wake once.
    private bool _deliverySleeping;
    // The delivery thread's signal: made when the thread starts, closed when it ends (an eventfd on Linux).
    private WakeSignal? _wake;
    // True while the delivery thread runs a consumer continuation (under _sync).
    private bool _deliveryBusy;
    private bool _rescueQueued;
    private readonly Rescue _rescue;

    /// <summary>True while the delivery thread's signal (an eventfd on Linux) is open (for tests).</summary>
    internal bool HasWakeSignal
    {
        get
        {
            lock (_sync)
                return _wake is not null;
        }
    }

    public HeapRing(int capacity)
    {
        _items = new ReceivedHeap?[capacity];
        _rescue = new Rescue(this);
    }

    /// <summary>
    /// The next heap, null once the ring is completed and empty, or the fault it was completed with.
    /// Reads may overlap; they are served in the order they started waiting.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ValueTask<ReceivedHeap?> ReadAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        WakeSignal? wake;
        lock (_sync)
        {
            if (_count > 0 && _waiters.Count == 0)
                return new ValueTask<ReceivedHeap?>(DequeueLocked());
            if (_completed && _count == 0)
            {
                return _fault is null
                    ? new ValueTask<ReceivedHeap?>((ReceivedHeap?)null)
                    : ValueTask.FromException<ReceivedHeap?>(_fault);
            }
            if (cancellationToken.IsCancellationRequested)
                return ValueTask.FromCanceled<ReceivedHeap?>(cancellationToken);
            waiter = _spare ?? new Waiter(this);
            _spare = null;
            waiter.Core.RunContinuationsAsynchronously = false;
            waiter.Pending = true;
            _waiters.Enqueue(waiter);
            wake = StartDeliveryLocked();
        }
        wake?.Set();
        if (cancellationToken.CanBeCanceled)
            waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), waiter);
        return new ValueTask<ReceivedHeap?>(waiter, waiter.Core.Version);
    }

    /// <summary>Adds a heap if there is room; false if the ring is full.</summary>
    /// <exception cref="InvalidOperationException">The ring was completed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryWrite(ReceivedHeap heap)
    {
        WakeSignal? wake = null;
        bool rescue = false;
        lock (_sync)
        {
            if (_completed)
                throw new InvalidOperationException("The receive ring is complete; no heap can be added.");
            if (_count == _items.Length)
                return false;
            _items[(_head + _count) % _items.Length] = heap;
            _count++;
            if (_waiters.Count > 0)
            {
                if (!_deliveryBusy)
                {
                    wake = TakeSleeperLocked();
                }
                else if (!_rescueQueued)
                {
                    // The delivery thread is inside a consumer continuation. Normally that continuation has
                    // just made its next read and is about to return, and the delivery thread will serve it;
                    // but it may be blocked on this very read (sync over async). A rescue on the thread pool
                    // serves the read if the delivery thread is still busy by then (a preallocated work item:
                    // no allocation).
                    _rescueQueued = true;
                    rescue = true;
                }
            }
        }
        // After leaving the lock, so that the woken thread does not find it held.
        wake?.Set();
        if (rescue)
            ThreadPool.UnsafeQueueUserWorkItem(_rescue, preferLocal: false);
        return true;
    }

    /// <summary>The thread-pool side of the sync-over-async guard (see <see cref="TryWrite"/>).</summary>
    private void RunRescue()
    {
        Waiter waiter;
        ReceivedHeap? heap = null;
        lock (_sync)
        {
            _rescueQueued = false;
            if (!_deliveryBusy || _waiters.Count == 0 || _count == 0)
                return;   // the delivery thread got there first (the usual case)
            waiter = _waiters.Dequeue();
            waiter.Pending = false;
            heap = DequeueLocked();
        }
        waiter.Core.RunContinuationsAsynchronously = false;
        waiter.Core.SetResult(heap);
    }

    /// <summary>Adds a heap, blocking the calling (reader) thread while the ring is full.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public void WriteBlocking(ReceivedHeap heap, CancellationToken cancellationToken)
    {
        while (!TryWrite(heap))
        {
            lock (_sync)
            {
                if (_count < _items.Length)
                    continue;
                cancellationToken.ThrowIfCancellationRequested();
                _blockedWriters++;
                Monitor.Wait(_sync, BlockedWriterPollMs);
                _blockedWriters--;
            }
        }
    }

    /// <summary>Adds a heap, waiting asynchronously while the ring is full (allocates only then).</summary>
    public async ValueTask WriteAsync(ReceivedHeap heap, CancellationToken cancellationToken)
    {
        while (!TryWrite(heap))
        {
            Task space;
            lock (_sync)
            {
                if (_count < _items.Length)
                    continue;
                _space ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                space = _space.Task;
            }
            await space.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes a heap without waiting (used to drain the ring on disposal).</summary>
    public bool TryRead(out ReceivedHeap? heap)
    {
        lock (_sync)
        {
            if (_count == 0)
            {
                heap = null;
                return false;
            }
            heap = DequeueLocked();
            return true;
        }
    }

    /// <summary>No more heaps will come: waiting reads end (null, or <paramref name="fault"/>) once the ring is empty.</summary>
    public void Complete(Exception? fault)
    {
        List<Waiter>? detached = null;
        WakeSignal? wake;
        lock (_sync)
        {
            if (_completed)
                return;
            _completed = true;
            _fault = fault;
            Monitor.PulseAll(_sync);   // blocked writers
            wake = TakeSleeperLocked();
            // Reads the delivery thread cannot serve while it is inside a continuation (see TryWrite) end here.
            if (_deliveryBusy && _count == 0)
            {
                while (_waiters.Count > 0)
                {
                    var w = _waiters.Dequeue();
                    w.Pending = false;
                    (detached ??= []).Add(w);
                }
            }
        }
        wake?.Set();
        if (detached is null)
            return;
        foreach (var w in detached)
        {
            w.Core.RunContinuationsAsynchronously = true;
            if (fault is not null)
                w.Core.SetException(fault);
            else
                w.Core.SetResult(null);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReceivedHeap DequeueLocked()
    {
        var heap = _items[_head]!;
        _items[_head] = null;
        _head = (_head + 1) % _items.Length;
        _count--;
        if (_blockedWriters > 0)
            Monitor.PulseAll(_sync);
        if (_space is { } space)
        {
            _space = null;
            space.TrySetResult();   // continuations run asynchronously: safe under the lock
        }
        return heap;
    }

    /// <summary>Starts the delivery thread, or returns its signal if the caller must wake it (after leaving the lock).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private WakeSignal? StartDeliveryLocked()
    {
        if (_delivering)
            return TakeSleeperLocked();
        _delivering = true;
        _wake ??= new WakeSignal(UdpReader.IsPortableForcedByEnvironment());
        var thread = new Thread(static state => ((HeapRing)state!).Deliver())
        {
            IsBackground = true,
            Name = "spead2 recv delivery",
        };
        thread.Start(this);
        return null;
    }

    /// <summary>
    /// The delivery thread's signal if it sleeps (or is about to), which the caller must then set after leaving the
    /// lock; otherwise null. The thread cannot end before that Set: it is waiting for it.
    /// </summary>
    private WakeSignal? TakeSleeperLocked()
    {
        if (!_deliverySleeping)
            return null;
        _deliverySleeping = false;
        return _wake;
    }

    /// <summary>
    /// The delivery thread: pairs waiting reads with heaps (or with the end) and completes them here,
    /// which runs the consumer's continuation on this thread. Ends when the ring is complete and no read
    /// waits; a later read is then answered at once.
    /// </summary>
    private void Deliver()
    {
        while (true)
        {
            Waiter? waiter = null;
            ReceivedHeap? heap = null;
            Exception? fault = null;
            WakeSignal? sleepOn = null;
            lock (_sync)
            {
                if (_waiters.Count > 0 && (_count > 0 || _completed))
                {
                    waiter = _waiters.Dequeue();
                    waiter.Pending = false;
                    _deliveryBusy = true;
                    if (_count > 0)
                        heap = DequeueLocked();
                    else
                        fault = _fault;
                }
                else if (_completed && _waiters.Count == 0)
                {
                    // No Set can be on its way: one is only given to a thread that sleeps.
                    _delivering = false;
                    _wake?.Dispose();
                    _wake = null;
                    return;
                }
                else
                {
                    // Whoever changes what this waits for clears the flag and sets _wake, after leaving the lock.
                    _deliverySleeping = true;
                    sleepOn = _wake;
                }
            }
            if (waiter is null)
            {
                sleepOn!.Wait();
                continue;
            }
            try
            {
                if (fault is not null)
                    waiter.Core.SetException(fault);
                else
                    waiter.Core.SetResult(heap);
            }
            finally
            {
                lock (_sync)
                    _deliveryBusy = false;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Recycle(Waiter waiter)
    {
        lock (_sync)
            _spare ??= waiter;
    }

    private sealed class Rescue(HeapRing ring) : IThreadPoolWorkItem
    {
        public void Execute() => ring.RunRescue();
    }

    /// <summary>One waiting read; reused once its result has been taken.</summary>
    private sealed class Waiter(HeapRing ring) : IValueTaskSource<ReceivedHeap?>
    {
        public ManualResetValueTaskSourceCore<ReceivedHeap?> Core;
        public CancellationTokenRegistration Registration;
        // Under the ring's lock: true while queued, so that delivery and cancellation complete it once.
        public bool Pending;

        public void Cancel(CancellationToken token)
        {
            lock (ring._sync)
            {
                if (!Pending)
                    return;
                Pending = false;
                // Rare: rebuild the queue without this waiter.
                int n = ring._waiters.Count;
                for (int i = 0; i < n; i++)
                {
                    var w = ring._waiters.Dequeue();
                    if (w != this)
                        ring._waiters.Enqueue(w);
                }
            }
            // Not on the cancelling thread: it may hold locks the consumer's continuation wants.
            Core.RunContinuationsAsynchronously = true;
            Core.SetException(new OperationCanceledException(token));
        }

        public ReceivedHeap? GetResult(short token)
        {
            try
            {
                return Core.GetResult(token);
            }
            finally
            {
                // Dispose waits for a running cancellation callback, so none can touch the next use.
                Registration.Dispose();
                Registration = default;
                Core.Reset();
                ring.Recycle(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => Core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            Core.OnCompleted(continuation, state, token, flags);
    }
}
