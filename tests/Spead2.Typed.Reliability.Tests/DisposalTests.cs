using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Disposal and cancellation racing with sends on other threads, and resource counts across many stream lifetimes.
/// </summary>
public class DisposalTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<List<(LoadHeap.Parsed Heap, long Cnt)>> CollectAsync(ReceiveStream receiver, CancellationToken token)
    {
        var list = new List<(LoadHeap.Parsed, long)>();
        await foreach (ReceivedHeap heap in receiver.WithCancellation(token))
        {
            using (heap)
            {
                Assert.True(LoadHeap.TryParse(heap, out LoadHeap.Parsed p));
                list.Add((p, heap.Cnt));
            }
        }
        return list;
    }

    /// <summary>
    /// Two threads send as fast as they can while a third disposes the stream. Each send either throws
    /// <see cref="ObjectDisposedException"/> at once or was queued before the dispose and is then sent in full
    /// (Dispose waits for it). Nothing hangs and the receiver gets exactly the heaps reported sent.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DisposeFromAnotherThreadWhileSending(bool async)
    {
        using var cts = new CancellationTokenSource(Patience);
        int rounds = 5, totalSent = 0, totalRefused = 0;
        for (int round = 0; round < rounds; round++)
        {
            var queue = new InprocQueue();
            await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
            receiver.AddInprocReader(queue);
            var collecting = Task.Run(() => CollectAsync(receiver, cts.Token));
            var stream = new InprocStream(queue, new StreamConfig { MaxHeaps = 16, MaxPacketSize = 1472 });
            var sent = new List<ValueTask<long>>[2];
            var unawaited = new int[2];
            int disposedSeen = 0;
            Task[] senders = [.. Enumerable.Range(0, 2).Select(s => Task.Run(async () =>
            {
                var mine = sent[s] = [];
                int awaited = 0;
                for (long i = 0; ; i++)
                {
                    try
                    {
                        mine.Add(stream.SendHeapAsync(LoadHeap.Create(3000, s, i)));
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref disposedSeen);
                        unawaited[s] = awaited;
                        return;
                    }
                    if (mine.Count - awaited >= 8)
                    {
                        await mine[awaited++].ConfigureAwait(false);
                    }
                }
            }))];
            await Task.Delay(20 + round * 10);
            Task disposing = async ? stream.DisposeAsync().AsTask() : Task.Run(stream.Dispose);
            await disposing.WaitAsync(cts.Token);
            await Task.WhenAll(senders).WaitAsync(cts.Token);
            Assert.Equal(2, disposedSeen);

            // Dispose waited for every queued heap: all were sent, none was left pending or failed. (The ValueTasks
            // themselves are checked: a Task made from one with AsTask completes a moment later, on the pool.)
            int count = 0;
            for (int s = 0; s < 2; s++)
            {
                for (int i = unawaited[s]; i < sent[s].Count; i++)
                {
                    Assert.True(sent[s][i].IsCompleted, $"sender {s} heap {i} was still pending after Dispose returned");
                    await sent[s][i]; // throws if it failed
                }
                count += sent[s].Count;
            }
            queue.Stop();
            List<(LoadHeap.Parsed Heap, long Cnt)> received = await collecting.WaitAsync(cts.Token);
            Assert.Equal(count, received.Count);
            for (int s = 0; s < 2; s++)
            {
                Assert.Equal(Enumerable.Range(0, sent[s].Count).Select(i => (long)i), received.Where(r => r.Heap.Sender == s).Select(r => r.Heap.Sequence));
            }
            Assert.All(received, r => Assert.True(r.Heap.Intact));
            totalSent += count;
            totalRefused += disposedSeen;
        }
        output.WriteLine($"dispose ({(async ? "DisposeAsync" : "Dispose on another thread")}) during sends, {rounds} rounds: {totalSent} heaps queued " +
            $"before it, all sent and received; {totalRefused} later sends threw ObjectDisposedException; lost 0");
    }

    /// <summary>
    /// Flush promises that every heap queued before it has completed when it returns: checked on the ValueTasks
    /// themselves, right after Flush, many times over (a completion racing with Flush is a matter of microseconds).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FlushReturnsOnlyAfterEveryEarlierHeapCompleted(bool async)
    {
        var queue = new InprocQueue();
        using var drain = new CancellationTokenSource();
        Task draining = Task.Run(async () =>
        {
            await foreach (byte[] _ in queue.ReadAllAsync(drain.Token))
            {
            }
        });
        int rounds = 3000, early = 0;
        var random = new Random(7);
        await using (var stream = new InprocStream(queue, new StreamConfig { MaxHeaps = 64 }))
        {
            // Many one-packet heaps complete together; Flush is entered at varying moments around that completion.
            Heap[] heaps = [.. Enumerable.Range(0, 64).Select(i => LoadHeap.Create(16, 1, i))];
            var tasks = new ValueTask<long>[heaps.Length];
            for (int r = 0; r < rounds; r++)
            {
                for (int i = 0; i < heaps.Length; i++)
                {
                    tasks[i] = stream.SendHeapAsync(heaps[i]);
                }
                Thread.SpinWait(random.Next(4000));
                if (async)
                {
                    await stream.FlushAsync();
                }
                else
                {
                    stream.Flush();
                }
                bool allDone = true;
                foreach (ValueTask<long> t in tasks)
                {
                    allDone &= t.IsCompleted;
                }
                if (!allDone)
                {
                    early++;
                }
                foreach (ValueTask<long> t in tasks)
                {
                    await t;
                }
            }
        }
        queue.Stop();
        await draining;
        output.WriteLine($"{(async ? "FlushAsync" : "Flush")}: {rounds} rounds of 64 heaps; returned before all earlier heaps had completed in {early} rounds");
        Assert.Equal(0, early);
    }

    /// <summary>
    /// Heaps queued behind a slow (rate-limited) writer are cancelled from another thread. Each ends either sent in
    /// full or cancelled with nothing sent: the receiver sees exactly the successful ones, none incomplete.
    /// </summary>
    [Fact]
    public async Task CancellationFromAnotherThreadIsAllOrNothing()
    {
        using var cts = new CancellationTokenSource(Patience);
        var queue = new InprocQueue();
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        receiver.AddInprocReader(queue);
        var collecting = Task.Run(() => CollectAsync(receiver, cts.Token));
        const int heaps = 400;
        var sources = Enumerable.Range(0, heaps).Select(_ => new CancellationTokenSource()).ToArray();
        var tasks = new Task<long>[heaps];
        // 10 MB/s and 10 kB heaps: about 1 ms per heap, so cancellations land before, during and after sending.
        await using (var stream = new InprocStream(queue, new StreamConfig { MaxHeaps = heaps, Rate = 10e6, BurstSize = 4096 }))
        {
            for (int i = 0; i < heaps; i++)
            {
                tasks[i] = stream.SendHeapAsync(LoadHeap.Create(10_000, 1, i), cancellationToken: sources[i].Token).AsTask();
            }
            var canceller = new Thread(() =>
            {
                var random = new Random(42);
                for (int i = 0; i < heaps; i++)
                {
                    if (random.Next(2) == 0)
                    {
                        sources[i].Cancel();
                    }
                    if (i % 10 == 0)
                    {
                        Thread.Sleep(1);
                    }
                }
            });
            canceller.Start();
            canceller.Join();
            await Task.WhenAny(Task.WhenAll(tasks)).WaitAsync(cts.Token);
        }
        Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully || t.IsCanceled || t.Exception?.InnerException is OperationCanceledException,
            $"a heap ended as {t.Status} {t.Exception?.InnerException?.GetType().Name}"));
        queue.Stop();
        List<(LoadHeap.Parsed Heap, long Cnt)> received = await collecting.WaitAsync(cts.Token);
        long[] succeeded = [.. tasks.Select((t, i) => (t, i)).Where(x => x.t.IsCompletedSuccessfully).Select(x => (long)x.i)];
        int cancelled = heaps - succeeded.Length;
        Assert.Equal(succeeded, received.Select(r => r.Heap.Sequence));
        Assert.All(received, r => Assert.True(r.Heap.Intact));
        ReceiveStatistics st = receiver.Statistics;
        Assert.Equal(0, st.IncompleteHeaps); // no cancelled heap was cut in the middle
        Assert.Equal(0, st.RejectedPackets);
        foreach (var s in sources)
        {
            s.Dispose();
        }
        output.WriteLine($"cancellation from another thread: {heaps} heaps, {cancelled} cancelled before their first packet, " +
            $"{succeeded.Length} sent whole and received, 0 partial");
        Assert.True(cancelled > 0 && succeeded.Length > heaps / 4, $"the race was not exercised ({cancelled} cancelled)");
    }

    /// <summary>
    /// After a full burst the pacer wants a pause before the next one (65 s here: a 64 KiB burst at 1 kB/s). With
    /// nothing left to send, disposal must not sit out that pause: the stream is idle, nothing is waiting to go.
    /// </summary>
    [Fact]
    public async Task DisposeDoesNotWaitOutThePacersPauseWhenNothingIsQueued()
    {
        var queue = new InprocQueue();
        var stream = new InprocStream(queue, new StreamConfig { Rate = 1000, BurstSize = 65536, MaxPacketSize = 9000 });
        long sent = await stream.SendHeapAsync(LoadHeap.Create(70_000, 1, 0)).AsTask().WaitAsync(Patience); // one burst, sent at once
        Assert.True(sent > 65536);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Task disposing = Task.Run(stream.Dispose);
        // A bound, not a speed measurement: the pause it must not wait for is 65 s.
        Task finished = await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(20)));
        output.WriteLine($"Dispose after a 70 kB burst at 1 kB/s returned: {finished == disposing} after {watch.Elapsed.TotalSeconds:F1} s (the pacer's pause is ~70 s)");
        Assert.True(finished == disposing, "Dispose waited for the pacer's next burst time although nothing was queued");
        queue.Stop();
    }

    /// <summary>
    /// The other side of the test above: a heap queued while the pause is still owed waits for it (on a fake clock,
    /// so this is exact), and is sent as soon as the pause is over.
    /// </summary>
    [Fact]
    public async Task AHeapQueuedDuringAnOwedPauseStillWaitsForIt()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var queue = new InprocQueue();
        // 1 MB/s, bursts of 500 B: a one-packet heap of about 1.1 kB goes at once and leaves a pause of about 1.1 ms.
        var stream = new InprocStream(queue, new StreamConfig { Rate = 1e6, BurstSize = 500, MaxPacketSize = 1472 }, timeProvider: clock);
        try
        {
            long first = await stream.SendHeapAsync(LoadHeap.Create(1000, 1, 0)).AsTask().WaitAsync(Patience);
            Assert.True(first > 1000);
            int packets = queue.Count;
            await Task.Delay(100); // the writer has found nothing more and gone idle, owing the pause
            clock.Advance(TimeSpan.FromMilliseconds(0.5));
            Task<long> second = stream.SendHeapAsync(LoadHeap.Create(100, 1, 1)).AsTask();
            await Task.Delay(200);
            Assert.False(second.IsCompleted, "the heap went before the pause the pacer owed was over");
            Assert.Equal(packets, queue.Count);
            clock.Advance(TimeSpan.FromMilliseconds(5)); // well past the end of the pause
            await second.WaitAsync(Patience);
            Assert.Equal(packets + 1, queue.Count);
        }
        finally
        {
            Task disposing = Task.Run(stream.Dispose);
            while (!disposing.IsCompleted)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(1);
            }
            queue.Stop();
        }
    }

    /// <summary>
    /// 30 lifetimes of each transport (UDP, TCP, in-process; healthy, broken by a reset, disposed with cancelled
    /// heaps, disposed while the pacer sleeps): threads, descriptors, pinned objects and managed memory come back
    /// to where they were.
    /// </summary>
    [Fact]
    public async Task NoThreadsSocketsTimersOrPinnedMemoryLeak()
    {
        await Cycle(); // warm up: first-use allocations (thread pool, socket engine) are not leaks
        await Cycle();
        ResourceCounts before = ResourceCounts.Take();
        SortedDictionary<int, string> fdsBefore = ResourceCounts.ListFds();
        const int cycles = 30;
        for (int i = 0; i < cycles; i++)
        {
            await Cycle();
        }
        await Task.Delay(200); // let thread-pool workers that were busy settle
        ResourceCounts after = ResourceCounts.Take();
        output.WriteLine($"{cycles} cycles x (UDP, TCP, TCP reset, inproc, cancelled, paced) streams and receivers");
        output.WriteLine($"before: {before}");
        output.WriteLine($"after:  {after}");
        foreach ((int fd, string target) in ResourceCounts.ListFds())
        {
            if (!fdsBefore.TryGetValue(fd, out string? was) || was != target)
            {
                output.WriteLine($"new descriptor {fd}: {target}");
            }
        }
        // A leaked writer thread per cycle would add 30+ threads; a leaked socket per cycle 30+ descriptors.
        Assert.True(after.Threads <= before.Threads + 6, $"threads grew from {before.Threads} to {after.Threads}");
        if (before.OpenHandles >= 0)
        {
            Assert.True(after.OpenHandles <= before.OpenHandles + 3, $"open sockets, pipes and anonymous inodes grew from {before.OpenHandles} to {after.OpenHandles}");
        }
        Assert.True(after.PinnedObjects <= before.PinnedObjects + 8, $"pinned objects grew from {before.PinnedObjects} to {after.PinnedObjects}");
        Assert.True(after.ManagedBytes - before.ManagedBytes < 8 << 20, $"managed memory grew by {(after.ManagedBytes - before.ManagedBytes) / 1024} KiB");
    }

    private static async Task Cycle()
    {
        using var cts = new CancellationTokenSource(Patience);

        // UDP to a receiver.
        await using (var receiver = new ReceiveStream())
        {
            UdpReader reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
            using var stream = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port);
            await Senders.SendSequenceAsync(stream, 1, 4, 2000, 4);
        }

        // TCP to a receiver, disposed asynchronously.
        await using (var receiver = new ReceiveStream())
        {
            TcpReader reader = receiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
            await using TcpStream stream = await TcpStream.ConnectAsync(reader.LocalEndPoint, new StreamConfig { MaxPacketSize = 9000 });
            await Senders.SendSequenceAsync(stream, 1, 4, 20_000, 4);
        }

        // TCP broken by a reset, then disposed.
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            Task<Socket> accept = listener.AcceptSocketAsync();
            TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint, new StreamConfig { MaxPacketSize = 9000 }, bufferSize: 16384);
            using (Socket peer = await accept)
            {
                peer.LingerState = new LingerOption(true, 0);
            }
            for (int i = 0; i < 20; i++)
            {
                try
                {
                    await stream.SendHeapAsync(LoadHeap.Create(100_000, 1, i)).AsTask().WaitAsync(cts.Token);
                }
                catch (IOException)
                {
                    break;
                }
            }
            stream.Dispose();
        }

        // In-process, with cancelled heaps and a pacer that is asleep when the stream is disposed.
        var queue = new InprocQueue();
        using (var stream = new InprocStream(queue, new StreamConfig { Rate = 1e6, MaxHeaps = 8 }))
        {
            using var cancel = new CancellationTokenSource();
            var tasks = Enumerable.Range(0, 8).Select(i => stream.SendHeapAsync(LoadHeap.Create(1000, 1, i), cancellationToken: cancel.Token).AsTask()).ToList();
            cancel.Cancel();
            await Task.WhenAny(Task.WhenAll(tasks)).WaitAsync(cts.Token);
        }
        queue.Stop();
        while (queue.TryRead(out _))
        {
        }
    }
}
