using Microsoft.Extensions.Time.Testing;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Far more concurrent <see cref="SendStream.SendHeapAsync"/> calls than <see cref="StreamConfig.MaxHeaps"/>: exactly
/// the overflow is refused with <see cref="QueueFullException"/>, every accepted heap is sent whole, no task is left
/// incomplete, and refused heaps do not use up automatic cnts.
/// </summary>
public class QueuePressureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Collects every heap of a receiver (sender, sequence, cnt, intact).</summary>
    private static async Task<List<(LoadHeap.Parsed Heap, long Cnt)>> CollectAsync(ReceiveStream receiver, CancellationToken token)
    {
        var list = new List<(LoadHeap.Parsed, long)>();
        await foreach (ReceivedHeap heap in receiver.WithCancellation(token))
        {
            using (heap)
            {
                Assert.True(LoadHeap.TryParse(heap, out LoadHeap.Parsed p), $"heap {heap.Cnt} is not one of ours");
                list.Add((p, heap.Cnt));
            }
        }
        return list;
    }

    /// <summary>
    /// Each array of heaps sent by its own dedicated thread (not the thread pool, which may not run them all at
    /// once), all released together, each thread calling SendHeapAsync without waiting.
    /// </summary>
    private static Task<long>[][] SendFromThreads(SendStream stream, Heap[][] heaps)
    {
        var tasks = new Task<long>[heaps.Length][];
        using var start = new Barrier(heaps.Length);
        var threads = Enumerable.Range(0, heaps.Length).Select(t => new Thread(() =>
        {
            var mine = new Task<long>[heaps[t].Length];
            start.SignalAndWait();
            for (int i = 0; i < mine.Length; i++)
            {
                mine[i] = stream.SendHeapAsync(heaps[t][i]).AsTask();
            }
            tasks[t] = mine;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(Patience), "a sending thread did not finish"));
        return tasks;
    }

    /// <summary>
    /// The writer is frozen on a fake clock after the first packet of a blocker heap, so the queue holds exactly one
    /// heap when 4,000 sends arrive from 8 threads at once: exactly MaxHeaps - 1 are accepted.
    /// </summary>
    [Fact]
    public async Task ExactlyTheOverflowIsRefusedWhileTheWriterIsStalled()
    {
        const int maxHeaps = 8, threads = 8, perThread = 500;
        var clock = new FakeTimeProvider();
        var queue = new InprocQueue();
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        Task<List<(LoadHeap.Parsed Heap, long Cnt)>>? collected = null;

        // BurstSize 0: the pacer looks at the clock after every packet, and the clock never moves unless we move it.
        var stream = new InprocStream(queue, new StreamConfig { MaxHeaps = maxHeaps, Rate = 1e6, BurstSize = 0, MaxPacketSize = 1024 }, timeProvider: clock);
        try
        {
            ValueTask<long> blocker = stream.SendHeapAsync(LoadHeap.Create(3000, 99, 0)); // 4 packets
            while (queue.Count == 0 && !cts.IsCancellationRequested)
            {
                await Task.Delay(1);
            }
            await Task.Delay(50);
            Assert.Equal(1, queue.Count); // one packet out, the writer now sleeps on the fake clock

            var heaps = new Heap[threads][];
            for (int t = 0; t < threads; t++)
            {
                heaps[t] = [.. Enumerable.Range(0, perThread).Select(i => LoadHeap.Create(100, t, i))];
            }
            Task<long>[][] tasks = SendFromThreads(stream, heaps);
            Task<long>[] all = [.. tasks.SelectMany(x => x)];
            int refused = all.Count(x => x.IsFaulted && x.Exception!.InnerException is QueueFullException);
            int otherFaults = all.Count(x => x.IsFaulted && x.Exception!.InnerException is not QueueFullException);
            int accepted = all.Count(x => !x.IsCompleted);
            Assert.Equal(0, otherFaults);
            Assert.Equal(maxHeaps - 1, accepted);
            Assert.Equal(all.Length - (maxHeaps - 1), refused);

            // The blocking call does not wait for room either: it refuses at once.
            Assert.Throws<QueueFullException>(() => stream.SendHeap(LoadHeap.Create(10, 98, 0)));

            // Only now read the queue (reading earlier would hide the packet count checked above).
            receiver.AddInprocReader(queue);
            collected = Task.Run(() => CollectAsync(receiver, cts.Token));

            // Let time run until everything accepted has gone.
            Task everything = Task.WhenAll(all.Where(x => !x.IsCompleted).Append(blocker.AsTask()));
            while (!everything.IsCompleted && !cts.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(1);
            }
            await everything.WaitAsync(cts.Token);
            Assert.All(all, x => Assert.True(x.IsCompleted));

            await stream.DisposeAsync();
            queue.Stop();
            List<(LoadHeap.Parsed Heap, long Cnt)> received = await collected.WaitAsync(cts.Token);
            var acceptedIds = new HashSet<(int, long)>();
            for (int t = 0; t < threads; t++)
            {
                for (int i = 0; i < perThread; i++)
                {
                    if (tasks[t][i].IsCompletedSuccessfully)
                    {
                        acceptedIds.Add((t, i));
                    }
                }
            }
            Assert.Equal(maxHeaps - 1, acceptedIds.Count);
            Assert.Equal(maxHeaps, received.Count); // the blocker and the accepted ones, nothing refused
            Assert.All(received, r => Assert.True(r.Heap.Intact));
            Assert.Equal(acceptedIds.Append((99, 0)).Order(), received.Select(r => (r.Heap.Sender, r.Heap.Sequence)).Order());
            // Refused heaps took no cnt: the accepted ones carry 1..MaxHeaps.
            Assert.Equal(Enumerable.Range(1, maxHeaps).Select(i => (long)i), received.Select(r => r.Cnt).Order());
            Assert.Equal(0, receiver.Statistics.IncompleteHeaps);
            output.WriteLine($"stalled writer: {all.Length} concurrent sends from {threads} threads with MaxHeaps {maxHeaps}: " +
                $"accepted {accepted}, refused {refused} (QueueFullException), received {received.Count - 1} + the blocker, lost 0");
        }
        finally
        {
            // Dispose waits for queued heaps, which wait for the fake clock: keep it moving until Dispose returns.
            Task disposing = Task.Run(stream.Dispose);
            for (int i = 0; i < 100_000 && !disposing.IsCompleted; i++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(1);
            }
            await disposing.WaitAsync(Patience);
            queue.Stop();
        }
    }

    /// <summary>
    /// Real time, a running writer and 4 threads sending without waiting: whatever the split, accepted + refused =
    /// sent, every accepted heap arrives exactly once and intact, nothing refused arrives, no task hangs.
    /// </summary>
    [Fact]
    public async Task UnderContentionEveryAcceptedHeapIsSentAndOnlyThose()
    {
        const int maxHeaps = 4, threads = 4;
        int perThread = Scale.Count(25_000, 5_000);
        var queue = new InprocQueue();
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        receiver.AddInprocReader(queue);
        Task<List<(LoadHeap.Parsed Heap, long Cnt)>> collected = Task.Run(() => CollectAsync(receiver, cts.Token));
        var stream = new InprocStream(queue, new StreamConfig { MaxHeaps = maxHeaps });
        Task<long>[][] tasks;
        try
        {
            var heaps = new Heap[threads][];
            for (int t = 0; t < threads; t++)
            {
                heaps[t] = [.. Enumerable.Range(0, perThread).Select(i => LoadHeap.Create(64, t, i))];
            }
            tasks = SendFromThreads(stream, heaps);
            Task<long>[] all = [.. tasks.SelectMany(x => x)];
            try
            {
                await Task.WhenAll(all).WaitAsync(cts.Token);
            }
            catch (QueueFullException)
            {
                // Expected for the overflow; each task is checked below.
            }
            Assert.All(all, x => Assert.True(x.IsCompleted));
            int refused = all.Count(x => x.IsFaulted && x.Exception!.InnerException is QueueFullException);
            int accepted = all.Count(x => x.IsCompletedSuccessfully);
            Assert.Equal(all.Length, accepted + refused);

            await stream.DisposeAsync();
            queue.Stop();
            List<(LoadHeap.Parsed Heap, long Cnt)> received = await collected.WaitAsync(cts.Token);
            Assert.Equal(accepted, received.Count);
            Assert.All(received, r => Assert.True(r.Heap.Intact));
            var acceptedIds = new HashSet<(int, long)>();
            for (int t = 0; t < threads; t++)
            {
                for (int i = 0; i < perThread; i++)
                {
                    if (tasks[t][i].IsCompletedSuccessfully)
                    {
                        acceptedIds.Add((t, i));
                    }
                }
            }
            Assert.True(acceptedIds.SetEquals(received.Select(r => (r.Heap.Sender, r.Heap.Sequence))), "the received heaps are not the accepted ones");
            // Each thread's accepted heaps arrive in its call order, and cnts are 1..accepted with no gaps.
            foreach (var group in received.GroupBy(r => r.Heap.Sender))
            {
                long[] sequence = [.. group.Select(r => r.Heap.Sequence)];
                Assert.Equal(sequence.Order(), sequence);
            }
            Assert.Equal(Enumerable.Range(1, accepted).Select(i => (long)i), received.Select(r => r.Cnt));
            output.WriteLine($"contention: {all.Length} sends from {threads} threads without waiting, MaxHeaps {maxHeaps}: " +
                $"accepted {accepted}, refused {refused}, received {received.Count}, lost 0, none incomplete");
            Assert.True(refused > 0, "the queue never overflowed: the test did not exercise the overflow path");
        }
        finally
        {
            stream.Dispose();
            queue.Stop();
        }
    }
}
