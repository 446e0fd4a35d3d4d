using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

/// <summary>Queue limits, completion, flush, cancellation and disposal, on a transport the test can hold.</summary>
public class QueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The bytes a completed send reports for <see cref="TestHeaps.HeapOf(int, int, Flavour?)"/> of this length, from the
    /// reference encoder (default flavour and packet size).
    /// </summary>
    private static long WireBytes(int length) =>
        RefEncoder.Encode(new RefHeap(Flavour.Default.HeapAddressBits).Add(0x1000, new byte[length], allowImmediate: false), 1, StreamConfig.DefaultMaxPacketSize)
            .Sum(p => (long)p.Length);

    private static (TestStream Stream, TestTransport Transport) Gated(int maxHeaps, ILoggerProvider? logger = null, int substreams = 1,
        bool synchronousContinuations = false)
    {
        var transport = new TestTransport(substreams) { Gated = true };
        var config = new StreamConfig
        {
            MaxHeaps = maxHeaps,
            LoggerFactory = logger is null ? null : new LoggerFactory([logger]),
            AllowSynchronousContinuations = synchronousContinuations,
        };
        return (new TestStream(transport, config), transport);
    }

    [Fact]
    public async Task QueueFullDropsOnlyTheExtraHeapAndLogsAWarning()
    {
        var logger = new FakeLoggerProvider();
        var (stream, transport) = Gated(maxHeaps: 2, logger);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry(); // the writer holds heap a inside the transport
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2));
        ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 3));

        Assert.True(c.IsFaulted);
        var e = await Assert.ThrowsAsync<QueueFullException>(async () => await c);
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Contains("queue is full", e.Message);
        Assert.Contains(logger.Collector.GetSnapshot(), x => x.Level == LogLevel.Warning && x.Message.Contains("queue is full"));

        // The blocking variant reports the same condition by throwing.
        Assert.Throws<QueueFullException>(() => stream.SendHeap(TestHeaps.HeapOf(100, 4)));

        transport.Release(10);
        Assert.Equal(WireBytes(100), await a);
        Assert.Equal(WireBytes(100), await b);
        await stream.DisposeAsync();
        // The dropped heaps took no cnt: the two sent heaps are 1 and 2.
        Assert.Equal(new long[] { 1, 2 }, transport.Parsed.Select(p => p.HeapCnt).Distinct());
    }

    [Fact]
    public async Task AGroupLargerThanTheQueueIsDropped()
    {
        var (stream, transport) = Gated(maxHeaps: 2);
        transport.Gated = false;
        var refs = Enumerable.Range(0, 3).Select(i => new HeapReference(TestHeaps.HeapOf(10, i))).ToList();
        var e = await Assert.ThrowsAsync<QueueFullException>(async () => await stream.SendHeapsAsync(refs, GroupMode.Serial));
        Assert.Contains("can never fit", e.Message);
        await stream.DisposeAsync();
        Assert.Empty(transport.Packets);
    }

    [Fact]
    public async Task ASlotFreedByCompletionCanBeReusedFromTheContinuation()
    {
        // spead2 frees slots before running completion handlers; with MaxHeaps = 1 every send must succeed when
        // each is started only after the previous one completed.
        var transport = new TestTransport();
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 1 });
        for (int i = 0; i < 200; i++)
        {
            await stream.SendHeapAsync(TestHeaps.HeapOf(50, i));
        }
        Assert.Equal(200, transport.Packets.Count);
    }

    [Fact]
    public async Task FlushWaitsForHeapsQueuedBeforeItOnly()
    {
        var (stream, transport) = Gated(maxHeaps: 4);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry();
        Task flush = stream.FlushAsync();
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2)); // after the flush call
        Assert.False(flush.IsCompleted);

        transport.Release(); // heap a only
        await flush.WaitAsync(Patience);
        Assert.True(a.IsCompleted);
        transport.WaitForEntry(); // the writer now holds heap b
        Assert.False(b.IsCompleted);

        // A blocking flush now waits for b.
        var blocking = Task.Run(stream.Flush);
        Assert.False(blocking.IsCompleted);
        transport.Release();
        await blocking.WaitAsync(Patience);
        Assert.True(b.IsCompleted);
        await stream.DisposeAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FlushCoversEveryEarlierHeapWhenAsynchronousBlockingAndCancelledSendsMix(bool synchronousContinuations)
    {
        // Flush points reach the completion thread behind a batch's tasks (the feed's own, counted without
        // interlocked operations), or not at all when a batch has only blocking sends (the feed releases flushes
        // itself if none of its earlier points is still queued); a cancelled heap's task is failed by its canceller,
        // which the feed may overtake. Whichever mix comes, a flush must not return before the tasks of the heaps
        // queued before it have completed.
        var transport = new TestTransport();
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 64, AllowSynchronousContinuations = synchronousContinuations });
        var blocking = new List<Task>();
        for (int round = 0; round < 200; round++)
        {
            // The sends themselves, not AsTask() wrappers: a wrapper registered just as its send completes is
            // completed later, on the .NET thread pool (ManualResetValueTaskSourceCore queues a continuation that
            // finds the operation complete), which no flush can wait for.
            var tasks = new List<ValueTask<long>>();
            using var cts = new CancellationTokenSource();
            for (int i = 0; i < 5; i++)
            {
                tasks.Add(stream.SendHeapAsync(TestHeaps.HeapOf(20, i), cancellationToken: i == 2 ? cts.Token : default));
            }
            Task cancel = Task.Run(cts.Cancel);
            if (round % 10 == 0)
            {
                blocking.Add(Task.Run(() => stream.SendHeap(TestHeaps.HeapOf(20, 99))));
            }
            await cancel.WaitAsync(Patience);
            if (round % 2 == 0)
            {
                stream.Flush();
            }
            else
            {
                await stream.FlushAsync().WaitAsync(Patience);
            }
            for (int i = 0; i < tasks.Count; i++)
            {
                Assert.True(tasks[i].IsCompleted, $"round {round}: heap {i}, queued before the flush, is still pending");
            }
            for (int i = 0; i < tasks.Count; i++)
            {
                try
                {
                    Assert.Equal(WireBytes(20), await tasks[i]);
                }
                catch (OperationCanceledException) when (i == 2)
                {
                    // Heap 2 is cancelled, unless it went out before its token was.
                }
            }
        }
        await Task.WhenAll(blocking).WaitAsync(Patience);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFlushWaitsForACancellationThatTheFeedOvertook(bool synchronousContinuations)
    {
        // The canceller marks heap C cancelled and is held there, before it fails C's task. Meanwhile the feed
        // retires C (it skips a cancelled heap) and moves on: a flush must still wait for C's task.
        var (stream, transport) = Gated(maxHeaps: 4, synchronousContinuations: synchronousContinuations);
        using var marked = new ManualResetEventSlim();
        using var proceed = new ManualResetEventSlim();
        stream.AfterGroupMarkedCancelled = () =>
        {
            marked.Set();
            proceed.Wait();
        };
        try
        {
            ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
            transport.WaitForEntry(); // the writer holds heap a
            using var cts = new CancellationTokenSource();
            Task<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2), cancellationToken: cts.Token).AsTask();
            Task cancel = Task.Run(cts.Cancel);
            Assert.True(marked.Wait(Patience));

            transport.Release(10);
            Assert.Equal(WireBytes(100), await a.AsTask().WaitAsync(Patience));
            // A heap after C goes out: the feed has retired C by then.
            Assert.Equal(WireBytes(100), await stream.SendHeapAsync(TestHeaps.HeapOf(100, 3)).AsTask().WaitAsync(Patience));
            Assert.False(c.IsCompleted);

            Task flush = stream.FlushAsync();
            Task blockingFlush = Task.Run(stream.Flush);
            await Task.Delay(100);
            Assert.False(flush.IsCompleted, "the flush ended before the cancelled heap's task failed");
            Assert.False(blockingFlush.IsCompleted, "the blocking flush ended before the cancelled heap's task failed");

            proceed.Set();
            await cancel.WaitAsync(Patience);
            await flush.WaitAsync(Patience);
            await blockingFlush.WaitAsync(Patience);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c);
        }
        finally
        {
            proceed.Set();
            await stream.DisposeAsync();
        }
        Assert.Equal(2, transport.Parsed.Select(p => p.HeapCnt).Distinct().Count());
    }

    [Fact]
    public async Task WithSynchronousContinuationsACancelledHeapCompletesOffTheCancellingThreadAndItsContinuationMayFlush()
    {
        // The cancelling thread runs no user code (it may hold the stream's tail lock); a continuation that flushes
        // must not wait for its own cancellation to end.
        var (stream, transport) = Gated(maxHeaps: 4, synchronousContinuations: true);
        try
        {
            ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
            transport.WaitForEntry(); // the writer holds heap a
            using var cts = new CancellationTokenSource();
            ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2), cancellationToken: cts.Token);
            Task<int> continuation = Task.Run(async () =>
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(c.AsTask);
                int thread = Environment.CurrentManagedThreadId;
                stream.Flush();
                return thread;
            });
            await Task.Delay(50); // let the continuation register
            int cancellingThread = Environment.CurrentManagedThreadId;
            cts.Cancel();
            transport.Release(10);
            Assert.NotEqual(cancellingThread, await continuation.WaitAsync(Patience));
            Assert.Equal(WireBytes(100), await a);
        }
        finally
        {
            transport.Release(10);
            await stream.DisposeAsync();
        }
    }

    [Fact]
    public async Task ABatchOfOnlyBlockingSendsDoesNotLetAFlushOvertakeTasksStillQueuedForCompletion()
    {
        // The completion thread is held by a continuation; heap A's task then waits in its queue. A blocking send B
        // completes without it (its thread is woken by the feed), and the feed may release flushes itself only when
        // none of its earlier flush points is still queued: here A's is, so a flush must still wait for A's task.
        var transport = new TestTransport();
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8 });
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task<long> x = stream.SendHeapAsync(TestHeaps.HeapOf(20, 1)).AsTask();
        Task held = x.ContinueWith(_ =>
        {
            holding.Set();
            release.Wait();
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            Assert.True(holding.Wait(Patience));
            Task<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(20, 2)).AsTask();
            await Task.Run(() => stream.SendHeap(TestHeaps.HeapOf(20, 3))).WaitAsync(Patience);
            Assert.Equal(3, transport.Packets.Count);

            Task flush = stream.FlushAsync();
            Assert.False(a.IsCompleted);
            Assert.False(flush.IsCompleted, "the flush ended before the task of heap A, queued before it, completed");

            release.Set();
            await flush.WaitAsync(Patience);
            Assert.True(a.IsCompleted);
        }
        finally
        {
            release.Set();
        }
        await held.WaitAsync(Patience);
    }

    [Fact]
    public async Task FlushWithNothingQueuedReturnsAtOnce()
    {
        await using var stream = new TestStream(new TestTransport());
        stream.Flush();
        Assert.True(stream.FlushAsync().IsCompleted);
    }

    [Fact]
    public async Task FlushAsyncCanBeCancelledWithoutAffectingTheHeaps()
    {
        var (stream, transport) = Gated(maxHeaps: 4);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        using var cts = new CancellationTokenSource();
        Task flush = stream.FlushAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flush);
        transport.Release(10);
        Assert.Equal(WireBytes(100), await a);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task CancellingAQueuedHeapSkipsItAndCompletesItAtOnce()
    {
        var (stream, transport) = Gated(maxHeaps: 4);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry();
        using var cts = new CancellationTokenSource();
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2), cancellationToken: cts.Token);
        ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 3));
        cts.Cancel();

        // Completed before the writer gets anywhere near it.
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.AsTask().WaitAsync(Patience));
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.False(a.IsCompleted);

        transport.Release(10);
        Assert.Equal(WireBytes(100), await a);
        Assert.Equal(WireBytes(100), await c);
        await stream.DisposeAsync();
        // b was never sent; its cnt (2) is simply missing.
        Assert.Equal(new long[] { 1, 3 }, transport.Parsed.Select(p => p.HeapCnt).Distinct());
    }

    [Fact]
    public async Task CancellingAHeapThatHasStartedHasNoEffect()
    {
        var (stream, transport) = Gated(maxHeaps: 4);
        using var cts = new CancellationTokenSource();
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1), cancellationToken: cts.Token);
        transport.WaitForEntry(); // its packets are in the transport
        cts.Cancel();
        transport.Release(10);
        Assert.Equal(WireBytes(100), await a.AsTask().WaitAsync(Patience));
        await stream.DisposeAsync();
        Assert.Single(transport.Packets);
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenQueuesNothing()
    {
        var transport = new TestTransport();
        await using var stream = new TestStream(transport);
        ValueTask<long> t = stream.SendHeapAsync(TestHeaps.HeapOf(10, 1), cancellationToken: new CancellationToken(true));
        Assert.True(t.IsCanceled);
        await stream.SendHeapAsync(TestHeaps.HeapOf(10, 2));
        await stream.FlushAsync();
        Assert.Equal(new long[] { 1 }, transport.Parsed.Select(p => p.HeapCnt)); // the cnt was not used up
    }

    [Fact]
    public async Task CancellingAQueuedGroupSkipsTheWholeGroup()
    {
        var (stream, transport) = Gated(maxHeaps: 8);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry();
        using var cts = new CancellationTokenSource();
        var group = Enumerable.Range(0, 3).Select(i => new HeapReference(TestHeaps.HeapOf(3000, i))).ToList();
        ValueTask<long> g = stream.SendHeapsAsync(group, GroupMode.RoundRobin, cts.Token);
        ValueTask<long> d = stream.SendHeapAsync(TestHeaps.HeapOf(100, 9));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await g);
        transport.Release(10);
        await a;
        await d;
        await stream.DisposeAsync();
        Assert.Equal(new long[] { 1, 5 }, transport.Parsed.Select(p => p.HeapCnt).Distinct());
    }

    [Fact]
    public async Task EachTokenCancelsOnlyItsOwnHeapsWhenSeveralAreInUse()
    {
        // The first token a stream sees is registered once for the stream; later ones register per heap. Both kinds
        // must cancel exactly their own queued heaps.
        var (stream, transport) = Gated(maxHeaps: 8);
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry();
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2), cancellationToken: first.Token);
        ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 3), cancellationToken: second.Token);
        ValueTask<long> d = stream.SendHeapAsync(TestHeaps.HeapOf(100, 4), cancellationToken: first.Token);
        ValueTask<long> e = stream.SendHeapAsync(TestHeaps.HeapOf(100, 5));
        ValueTask<long> f = stream.SendHeapAsync(TestHeaps.HeapOf(100, 6), cancellationToken: second.Token);

        first.Cancel();
        Assert.Equal(first.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await b.AsTask().WaitAsync(Patience))).CancellationToken);
        Assert.Equal(first.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await d.AsTask().WaitAsync(Patience))).CancellationToken);
        Assert.False(c.IsCompleted || e.IsCompleted || f.IsCompleted);

        second.Cancel();
        Assert.Equal(second.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await c.AsTask().WaitAsync(Patience))).CancellationToken);
        Assert.Equal(second.Token, (await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await f.AsTask().WaitAsync(Patience))).CancellationToken);
        Assert.False(e.IsCompleted);

        transport.Release(10);
        Assert.Equal(WireBytes(100), await a);
        Assert.Equal(WireBytes(100), await e);
        await stream.DisposeAsync();
        Assert.Equal(new long[] { 1, 5 }, transport.Parsed.Select(p => p.HeapCnt).Distinct());
    }

    [Fact]
    public async Task ATokenCancelledWhileHeapsAreQueuedLeavesEveryHeapSentOrCancelled()
    {
        // Races the cancellation against enqueues and the writer: every task must end, either with the bytes of a heap
        // that really went out or cancelled, and the first heap's token (the stream's shared registration) and a later
        // token (a registration per heap) must both hold.
        for (int round = 0; round < 20; round++)
        {
            var transport = new TestTransport();
            await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 64 });
            using var shared = new CancellationTokenSource();
            using var own = new CancellationTokenSource();
            var tasks = new List<Task<long>>();
            Task canceller = Task.Run(async () =>
            {
                await Task.Delay(round % 3);
                shared.Cancel();
                own.Cancel();
            });
            for (int i = 0; i < 2000 && !own.IsCancellationRequested; i++)
            {
                CancellationToken token = i % 5 == 4 ? own.Token : shared.Token;
                tasks.Add(stream.SendHeapAsync(TestHeaps.HeapOf(100, i), cancellationToken: token).AsTask());
                if (tasks.Count >= 48)
                {
                    await tasks[^48].ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(Patience);
                }
            }
            await canceller;
            int sent = 0;
            foreach (Task<long> t in tasks)
            {
                await t.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(Patience);
                if (t.IsCompletedSuccessfully)
                {
                    Assert.Equal(WireBytes(100), await t);
                    sent++;
                }
                else
                {
                    Assert.True(t.IsCanceled, t.Exception?.ToString()); // never faulted: the loop keeps the queue below MaxHeaps
                }
            }
            await stream.FlushAsync();
            Assert.Equal(sent, transport.Packets.Count);
        }
    }

    [Fact]
    public async Task TransportErrorsFailOnlyTheirHeapAndTheRestOfItIsStillSent()
    {
        var transport = new TestTransport
        {
            Fail = p => p.HeapCnt == 2 && p.PayloadOffset == 0 ? new IOException("injected") : null,
        };
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8 });
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(4000, 1));
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(4000, 2));
        ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(4000, 3));
        Assert.Equal(WireBytes(4000), await a);
        var e = await Assert.ThrowsAsync<IOException>(async () => await b);
        Assert.Equal("injected", e.Message);
        Assert.Equal(WireBytes(4000), await c);
        // Heap 2 lost only its first packet, as with spead2 (errors do not abort the heap).
        Assert.Equal(2, transport.Parsed.Count(p => p.HeapCnt == 2));
    }

    [Fact]
    public async Task AGroupReportsItsFirstErrorAndTheBytesOfAllItsHeaps()
    {
        var transport = new TestTransport();
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8 });
        var refs = new[] { 100, 200, 300 }.Select((n, i) => new HeapReference(TestHeaps.HeapOf(n, i))).ToList();
        long bytes = await stream.SendHeapsAsync(refs, GroupMode.RoundRobin);
        Assert.Equal(transport.Packets.Sum(p => p.Data.Length), bytes);

        transport.Fail = p => p.HeapCnt == 5 ? new IOException("second") : p.HeapCnt == 6 ? new IOException("third") : null;
        var e = await Assert.ThrowsAsync<IOException>(async () => await stream.SendHeapsAsync(refs, GroupMode.Serial));
        Assert.Equal("second", e.Message);
    }

    [Fact]
    public async Task SubstreamIndexOutOfRangeIsAClearError()
    {
        await using var stream = new TestStream(new TestTransport(substreams: 2));
        Assert.Equal(2, stream.NumSubstreams);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(TestHeaps.HeapOf(10, 1), substreamIndex: 2));
        Assert.Equal("substreamIndex", e.ParamName);
        Assert.Contains("2 substream", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = stream.SendHeapAsync(TestHeaps.HeapOf(10, 1), substreamIndex: -1); });
    }

    [Fact]
    public async Task BadArgumentsAreRejected()
    {
        await using var stream = new TestStream(new TestTransport());
        Assert.Throws<ArgumentNullException>(() => stream.SendHeap(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(TestHeaps.HeapOf(10, 1), rate: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = stream.SendHeapsAsync([new HeapReference(TestHeaps.HeapOf(10, 1))], (GroupMode)7); });
        // A packet size too small for repeated pointers is reported when the heap is queued.
        var heap = new Heap();
        for (int i = 0; i < 400; i++)
        {
            heap.AddImmediate(0x1000 + i, i);
        }
        heap.RepeatPointers = true;
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.SendHeap(heap));
    }

    [Fact]
    public async Task SendingAfterDisposeThrows()
    {
        var transport = new TestTransport();
        var stream = new TestStream(transport);
        stream.SendHeap(TestHeaps.HeapOf(10, 1));
        await stream.DisposeAsync();
        stream.Dispose(); // idempotent
        Assert.True(transport.Disposed);
        Assert.Throws<ObjectDisposedException>(() => stream.SendHeap(TestHeaps.HeapOf(10, 1)));
        Assert.Throws<ObjectDisposedException>(() => { _ = stream.SendHeapAsync(TestHeaps.HeapOf(10, 1)); });
        Assert.Throws<ObjectDisposedException>(() => stream.SendHeaps([new HeapReference(TestHeaps.HeapOf(10, 1))], GroupMode.Serial));
    }

    [Fact]
    public async Task DisposeSendsEverythingQueuedFirst()
    {
        var (stream, transport) = Gated(maxHeaps: 8);
        var tasks = Enumerable.Range(0, 5).Select(i => stream.SendHeapAsync(TestHeaps.HeapOf(2000, i)).AsTask()).ToList();
        transport.WaitForEntry();
        Task dispose = Task.Run(stream.Dispose);
        Assert.False(dispose.IsCompleted);
        transport.Release(100);
        await dispose.WaitAsync(Patience);
        // Completed before Dispose returned; the Task wrappers finish on the thread pool just after.
        long[] sent = await Task.WhenAll(tasks).WaitAsync(Patience);
        Assert.All(sent, n => Assert.True(n > 2000));
        Assert.Equal(5, transport.Parsed.Select(p => p.HeapCnt).Distinct().Count());
    }

    [Fact]
    public async Task ManyThreadsCanSendAtOnce()
    {
        const int threads = 4;
        const int perThread = 200;
        var transport = new TestTransport();
        await using (var stream = new TestStream(transport, new StreamConfig { MaxHeaps = threads }))
        {
            await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < perThread; i++)
                {
                    // Blocking sends: each thread has at most one heap in flight, so MaxHeaps = threads never drops.
                    stream.SendHeap(TestHeaps.HeapOf(1000, t * 1000 + i));
                }
            })));
        }
        var assembler = new RefHeapAssembler();
        transport.Parsed.ForEach(assembler.Add);
        Assert.Equal(threads * perThread, assembler.Completed.Count);
        Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long)i), assembler.Completed.Select(h => h.Cnt).Order());
    }

    [Fact]
    public async Task AValueTaskCannotBeConsumedTwice()
    {
        await using var stream = new TestStream(new TestTransport());
        ValueTask<long> t = stream.SendHeapAsync(TestHeaps.HeapOf(10, 1));
        await t;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await t);
    }

    [Fact]
    public async Task IfTheWriterFailsEveryPendingAndLaterHeapFailsAndNothingHangs()
    {
        var (stream, transport) = Gated(maxHeaps: 4);
        transport.Throw = new InvalidOperationException("transport bug");
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry();
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2));
        transport.Release(); // the transport now throws
        var e = await Assert.ThrowsAsync<IOException>(async () => await a.AsTask().WaitAsync(Patience));
        Assert.Contains("transport bug", e.Message);
        await Assert.ThrowsAsync<IOException>(async () => await b.AsTask().WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(async () => await stream.SendHeapAsync(TestHeaps.HeapOf(100, 3)));
        Assert.Throws<IOException>(() => stream.SendHeap(TestHeaps.HeapOf(100, 4)));
        await stream.FlushAsync().WaitAsync(Patience);
        await stream.DisposeAsync().AsTask().WaitAsync(Patience);
    }
}
