using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests;

/// <summary>Streams sharing an <see cref="IOThreadPool"/>: one requirement of the pool per test.</summary>
public class IOThreadPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            Thread.Sleep(1);
        }
    }

    /// <summary>Heap <paramref name="i"/> of stream <paramref name="s"/>: several packets, contents unique to both.</summary>
    private static Heap HeapOf(int s, int i)
    {
        var heap = new Heap();
        byte[] data = new byte[3000 + 7 * i];
        for (int k = 0; k < data.Length; k++)
        {
            data[k] = (byte)(s * 31 + i * 7 + k);
        }
        heap.AddItem(0x1000 + s, data);
        heap.AddImmediate(0x2000, i);
        return heap;
    }

    private static async Task<byte[]> SendAllAsync(BytesStream stream, int s, int heaps)
    {
        for (int i = 0; i < heaps; i++)
        {
            await stream.SendHeapAsync(HeapOf(s, i));
        }
        return stream.GetValue();
    }

    [Fact]
    public async Task SixtyFourStreamsOnTwoThreadsEachSendTheirOwnBytesInOrder()
    {
        const int Streams = 64;
        const int Heaps = 40;
        // What each stream must produce: the same heaps through a stream with its own private thread.
        var expected = new byte[Streams][];
        for (int s = 0; s < Streams; s++)
        {
            using var alone = new BytesStream(new StreamConfig { MaxPacketSize = 1000 });
            expected[s] = await SendAllAsync(alone, s, Heaps);
        }

        var pool = new IOThreadPool(threads: 2);
        var streams = new BytesStream[Streams];
        for (int s = 0; s < Streams; s++)
        {
            streams[s] = new BytesStream(new StreamConfig { MaxPacketSize = 1000, MaxHeaps = 2, ThreadPool = pool });
        }
        Assert.Equal(Streams, pool.StreamCount);
        byte[][] actual = await Task.WhenAll(Enumerable.Range(0, Streams).Select(s => Task.Run(() => SendAllAsync(streams[s], s, Heaps))));
        for (int s = 0; s < Streams; s++)
        {
            Assert.Equal(expected[s], actual[s]);
            await streams[s].DisposeAsync();
        }
        Assert.Equal(0, pool.StreamCount);
        pool.Dispose();
    }

    [Fact]
    public async Task EachStreamKeepsItsOwnPacingOnASharedPool()
    {
        var time = new FakeTimeProvider();
        var pool = new IOThreadPool(threads: 1, time);
        // A stream at 1000 B/s stops after its first 1000-byte burst until the fake clock moves; an unlimited one on
        // the same thread is not held up by it.
        var slow = new BytesStream(new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000, ThreadPool = pool }, time);
        var fast = new BytesStream(new StreamConfig { BurstSize = 1000, MaxPacketSize = 1000, ThreadPool = pool });
        ValueTask<long> paced = slow.SendHeapAsync(TestHeaps.HeapOf(2500, 1));
        WaitUntil(() => slow.Length == 1000, "the slow stream's first burst is out");
        for (int i = 0; i < 20; i++)
        {
            await fast.SendHeapAsync(TestHeaps.HeapOf(5000, i)).AsTask().WaitAsync(Patience);
        }
        Assert.Equal(1000, slow.Length);
        Assert.False(paced.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        WaitUntil(() => slow.Length == 2000, "the slow stream's second burst is out");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await paced.AsTask().WaitAsync(Patience) > 2500);
        await fast.DisposeAsync();
        Task dispose = slow.DisposeAsync().AsTask();
        time.Advance(TimeSpan.FromSeconds(10));
        await dispose.WaitAsync(Patience);
        pool.Dispose();
    }

    [Fact]
    public async Task EachStreamKeepsItsOwnQueueLimit()
    {
        var pool = new IOThreadPool(threads: 2);
        var small = new TestTransport { Gated = true };
        var large = new TestTransport { Gated = true };
        var a = new TestStream(small, new StreamConfig { MaxHeaps = 2, ThreadPool = pool });
        var b = new TestStream(large, new StreamConfig { MaxHeaps = 8, ThreadPool = pool });

        var sentA = new List<ValueTask<long>> { a.SendHeapAsync(TestHeaps.HeapOf(100, 0)) };
        small.WaitForEntry();
        sentA.Add(a.SendHeapAsync(TestHeaps.HeapOf(100, 1)));
        ValueTask<long> rejected = a.SendHeapAsync(TestHeaps.HeapOf(100, 2));
        await Assert.ThrowsAsync<QueueFullException>(async () => await rejected);

        var sentB = new List<ValueTask<long>> { b.SendHeapAsync(TestHeaps.HeapOf(100, 0)) };
        large.WaitForEntry();
        for (int i = 1; i < 8; i++)
        {
            sentB.Add(b.SendHeapAsync(TestHeaps.HeapOf(100, i)));
        }
        Assert.All(sentB, t => Assert.False(t.IsFaulted));
        await Assert.ThrowsAsync<QueueFullException>(async () => await b.SendHeapAsync(TestHeaps.HeapOf(100, 8)));

        small.Release(100);
        large.Release(100);
        foreach (ValueTask<long> t in sentA.Concat(sentB))
        {
            Assert.True(await t.AsTask().WaitAsync(Patience) > 0);
        }
        await a.DisposeAsync();
        await b.DisposeAsync();
        pool.Dispose();
    }

    [Fact]
    public async Task StreamsWithWorkAreServedRoundRobin()
    {
        // One thread. Stream A has a long backlog and holds the thread inside its first batch; meanwhile B queues
        // one heap. When A's batch ends, B must be served before A's second batch.
        var pool = new IOThreadPool(threads: 1);
        var log = new ConcurrentQueue<string>();
        var ta = new TestTransport { Gated = true, Log = log, Name = "A" };
        var tb = new TestTransport { Log = log, Name = "B" };
        var a = new TestStream(ta, new StreamConfig { MaxHeaps = 64, MaxPacketSize = 1000, ThreadPool = pool });
        var b = new TestStream(tb, new StreamConfig { MaxPacketSize = 1000, ThreadPool = pool });

        var backlog = Enumerable.Range(0, 64).Select(i => a.SendHeapAsync(TestHeaps.HeapOf(50_000, i)).AsTask()).ToList();
        ta.WaitForEntry();
        Task<long> single = b.SendHeapAsync(TestHeaps.HeapOf(100, 0)).AsTask();
        ta.Release(1);
        ta.WaitForEntry(); // A's second batch started, so B's turn has come and gone
        await single.WaitAsync(Patience);
        Assert.Equal(new[] { "A", "B", "A" }, log.Take(3));
        Assert.True(backlog.Count(t => !t.IsCompleted) > 50, "A's backlog was not served first");

        ta.Gated = false;
        ta.Release(10_000);
        await Task.WhenAll(backlog).WaitAsync(Patience);
        await a.DisposeAsync();
        await b.DisposeAsync();
        pool.Dispose();
    }

    [Fact]
    public async Task DisposingOneStreamDisturbsNoOther()
    {
        var pool = new IOThreadPool(threads: 2);
        var steadyTransport = new TestTransport();
        var steady = new TestStream(steadyTransport, new StreamConfig { ThreadPool = pool });
        using var cts = new CancellationTokenSource();
        Task<int> sender = Task.Run(async () =>
        {
            int n = 0;
            while (!cts.IsCancellationRequested)
            {
                await steady.SendHeapAsync(HeapOf(0, n % 50));
                n++;
            }
            return n;
        });
        for (int round = 0; round < 20; round++)
        {
            var transient = new TestTransport();
            var other = new TestStream(transient, new StreamConfig { MaxHeaps = 16, ThreadPool = pool });
            for (int i = 0; i < 10; i++)
            {
                _ = other.SendHeapAsync(TestHeaps.HeapOf(3000, i));
            }
            if (round % 2 == 0)
            {
                await other.DisposeAsync();
            }
            else
            {
                other.Dispose();
            }
            Assert.True(transient.Disposed);
            Assert.Equal(10, transient.Parsed.Select(p => p.HeapCnt).Distinct().Count());
        }
        cts.Cancel();
        int sent = await sender.WaitAsync(Patience);
        Assert.True(sent > 0);
        await steady.DisposeAsync();
        // The steady stream's heaps all went out, whole and in order: cnts 1..sent, each heap's packets together.
        List<RefPacket> packets = steadyTransport.Parsed;
        Assert.Equal(Enumerable.Range(1, sent).Select(i => (long)i), packets.Select(p => p.HeapCnt).Distinct());
        Assert.True(packets.Zip(packets.Skip(1)).All(p => p.First.HeapCnt <= p.Second.HeapCnt));
        Assert.Equal(0, pool.StreamCount);
        pool.Dispose();
    }

    [Fact]
    public void LifetimeMisuseIsAnException()
    {
        var pool = new IOThreadPool(threads: 1);
        var stream = new BytesStream(new StreamConfig { ThreadPool = pool });
        var e = Assert.Throws<InvalidOperationException>(pool.Dispose);
        Assert.Contains("1 stream(s) still use", e.Message);

        Assert.Throws<ArgumentException>("timeProvider",
            () => new BytesStream(new StreamConfig { ThreadPool = pool }, new FakeTimeProvider()));

        stream.Dispose();
        pool.Dispose();
        pool.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => new BytesStream(new StreamConfig { ThreadPool = pool }));
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new IOThreadPool(0));
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new IOThreadPool(IOThreadPool.MaxThreads + 1));
    }

    [Fact]
    public async Task BlockingCallsOnAPoolThreadAreRefused()
    {
        var pool = new IOThreadPool(threads: 1);
        var other = new BytesStream(new StreamConfig { ThreadPool = pool });
        // Held in the transport until the continuation is registered, so that it runs where the send completes.
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { ThreadPool = pool, AllowSynchronousContinuations = true });
        bool onPool = false;
        Exception? caught = null;
        Task<long> send = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1)).AsTask();
        Task check = send.ContinueWith(_ =>
        {
            // On the pool's thread: a blocking call on another stream of the same pool would wait for this thread.
            onPool = pool.IsCurrentThread;
            try
            {
                other.SendHeap(TestHeaps.HeapOf(100, 2));
            }
            catch (Exception e)
            {
                caught = e;
            }
        }, TaskContinuationOptions.ExecuteSynchronously);
        transport.Release();
        await check.WaitAsync(Patience);
        Assert.True(onPool);
        Assert.IsType<InvalidOperationException>(caught);
        Assert.Contains("I/O thread pool", caught!.Message);
        Assert.Throws<InvalidOperationException>(() => pool.Dispose());
        await stream.DisposeAsync();
        await other.DisposeAsync();
        pool.Dispose();
    }

    [Fact]
    public void TheHeapsOneBatchFinishesCompleteWithOneHandOff()
    {
        // The test thread never awaits the stream's tasks, so no test code runs inside a drain.
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8 });
        CompletionDispatcher dispatcher = stream.Pool.Completions;
        Task<long> blocker = stream.SendHeapAsync(TestHeaps.HeapOf(100, 0)).AsTask();
        transport.WaitForEntry();
        // Seven single-packet heaps queued while the writer is held in the transport: they make one batch.
        var heaps = Enumerable.Range(1, 7).Select(i => stream.SendHeapAsync(TestHeaps.HeapOf(100, i)).AsTask()).ToList();
        Assert.Equal(0, dispatcher.HandOffs);
        transport.Gated = false;
        transport.Release();
        WaitUntil(() => blocker.IsCompleted && heaps.All(t => t.IsCompletedSuccessfully), "every heap completed");
        // One hand-off for the blocker's batch and at most one for the seven (none if the first drain took them).
        Assert.InRange(dispatcher.HandOffs, 1, 2);
        Assert.Equal(2, transport.SendCalls);
        stream.Dispose();
    }

    [Fact]
    public async Task ASenderLoopOfHeapsLongerThanABatchRunsOnTheCompletionThreadWithoutHandOffs()
    {
        // Heaps of 100 packets (two batches each), four in flight, each awaited: the pool thread wakes the drain for
        // the continuations every few heaps and would go on sending itself; it hands the stream to the drain instead,
        // which then sends and runs the continuations in turn without sleeping. Before, the drain slept and was woken
        // again about once every three heaps.
        const int count = 300;
        var transport = new TestTransport();
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 4 });
        CompletionDispatcher dispatcher = stream.Pool.Completions;
        // Made beforehand: the continuations only queue them, as a sender that refills a heap quickly does (a
        // continuation that took longer than 50 µs would keep the stream on the pool thread, by design).
        Heap[] heaps = Enumerable.Range(0, count).Select(i => TestHeaps.HeapOf(100 * 1400, i)).ToArray();
        int sendThread = -1;
        await Task.Run(async () =>
        {
            var inFlight = new Queue<ValueTask<long>>();
            for (int i = 0; i < count; i++)
            {
                if (inFlight.Count == 4)
                {
                    await inFlight.Dequeue().ConfigureAwait(false);
                }
                inFlight.Enqueue(stream.SendHeapAsync(heaps[i]));
            }
            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue().ConfigureAwait(false);
            }
            sendThread = Environment.CurrentManagedThreadId;
        });
        await stream.DisposeAsync();
        // Every heap went out whole and in order.
        List<RefPacket> parsed = transport.Parsed;
        int packetsPerHeap = parsed.Count / count;
        Assert.InRange(packetsPerHeap, 65, 128);
        Assert.Equal(count * packetsPerHeap, parsed.Count);
        for (int i = 0; i < parsed.Count; i++)
        {
            Assert.Equal(i / packetsPerHeap + 1, parsed[i].HeapCnt);
        }
        // A slow moment on a busy machine gives the stream back to the pool thread for a while (a continuation batch
        // over 50 µs), and each such moment costs a hand-off or two; a hundred would mean it is not handed over at all.
        Assert.InRange(dispatcher.HandOffs, 1, count / 6);
        // The loop's continuations ran on the completion thread, which sent most of the packets too.
        Assert.InRange(transport.SendThreads.GetValueOrDefault(sendThread), transport.SendCalls / 2 + 1, transport.SendCalls);
    }

    [Fact]
    public async Task AStreamTheDrainSendsForIsTakenBackByAPoolThreadWhenAContinuationBlocks()
    {
        // Once the drain sends for a stream (see above), a continuation that then blocks must not stop the sending:
        // a pool thread takes the stream back (within two drain polls) and sends the heaps queued before it.
        var transport = new TestTransport();
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8 });
        const int heapSize = 100 * 1400;
        await stream.SendHeapAsync(TestHeaps.HeapOf(heapSize, 0));
        int packetsPerHeap = transport.Packets.Count;
        Assert.InRange(packetsPerHeap, 65, 128); // more than one batch
        bool sentWhileBlocked = false;
        await Task.Run(async () =>
        {
            var inFlight = new Queue<ValueTask<long>>();
            for (int i = 0; i < 200; i++)
            {
                if (inFlight.Count == 8)
                {
                    await inFlight.Dequeue().ConfigureAwait(false);
                }
                inFlight.Enqueue(stream.SendHeapAsync(TestHeaps.HeapOf(heapSize, i)));
            }
            // Seven heaps are still queued behind the one awaited next; block in its continuation until they are sent.
            await inFlight.Dequeue().ConfigureAwait(false);
            int queued = 201 * packetsPerHeap;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (transport.Packets.Count < queued && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(1);
            }
            sentWhileBlocked = transport.Packets.Count == queued;
            while (inFlight.Count > 0)
            {
                await inFlight.Dequeue().ConfigureAwait(false);
            }
        });
        Assert.True(sentWhileBlocked, "the heaps queued before a blocked continuation were not sent while it blocked");
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task DetachingAWorkItemThatRunsOnAPoolThreadWaitsForTheRunToEnd()
    {
        var pool = new IOThreadPool(threads: 1);
        var work = new HeldWork();
        pool.Attach(work);
        Assert.True(pool.Schedule(work));
        Assert.True(work.Entered.Wait(Patience), "the pool never ran the work item");

        Task<bool> detach = Task.Run(() => pool.Detach(work));
        await Task.Delay(50);
        Assert.False(detach.IsCompleted); // the run is still going

        work.Release.Set();
        Assert.True(await detach.WaitAsync(Patience)); // the caller finishes the removal...
        Assert.Equal(0, work.DetachedCalls); // ...so the pool does not call OnDetached
        Assert.Equal(1, work.Runs);
        Assert.False(pool.Schedule(work)); // never run again
        Assert.Equal(0, pool.StreamCount);
        pool.Dispose();
    }

    [Fact]
    public async Task HeapsQueuedByAContinuationThatThenBlocksAreStillSent()
    {
        // A continuation on the completion thread queues a heap on an idle stream of the same pool: the drain means
        // to send it itself when its continuations are done, but this one blocks. A pool thread must take it.
        var pool = new IOThreadPool(threads: 1);
        var transportA = new TestTransport { Gated = true };
        var a = new TestStream(transportA, new StreamConfig { ThreadPool = pool });
        var transportB = new TestTransport();
        var b = new TestStream(transportB, new StreamConfig { ThreadPool = pool });
        ValueTask<long> first = a.SendHeapAsync(HeapOf(0, 0));
        string? continuationThread = null;
        bool sentWhileBlocked = false;
        Task probe = Probe();
        transportA.Gated = false;
        transportA.Release();
        await probe.WaitAsync(Patience);
        Assert.Equal("Spead2 completions", continuationThread);
        Assert.True(sentWhileBlocked);
        await a.DisposeAsync();
        await b.DisposeAsync();
        pool.Dispose();

        async Task Probe()
        {
            await first.ConfigureAwait(false);
            continuationThread = Thread.CurrentThread.Name;
            _ = b.SendHeapAsync(HeapOf(1, 0));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Volatile.Read(ref transportB.SendCallsField) == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(1);
            }
            sentWhileBlocked = Volatile.Read(ref transportB.SendCallsField) > 0;
        }
    }

    /// <summary>A work item whose first run waits until the test releases it.</summary>
    private sealed class HeldWork : IOWork
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public int Runs;

        public int DetachedCalls;

        public override IOWorkResult Run(out long wakeTimestamp)
        {
            wakeTimestamp = 0;
            Interlocked.Increment(ref Runs);
            Entered.Set();
            Release.Wait(Patience);
            return IOWorkResult.Idle;
        }

        public override void OnDetached() => Interlocked.Increment(ref DetachedCalls);
    }
}
