using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

public class InprocStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ConcurrentSendersAllReassemble()
    {
        const int senders = 4;
        const int perSender = 100;
        var queue = new InprocQueue();
        await using (var stream = new InprocStream([queue], new StreamConfig { MaxHeaps = senders, MaxPacketSize = 1500 }))
        {
            // Each sender uses its own cnt range: 1000 * sender + i.
            await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
            {
                for (int i = 0; i < perSender; i++)
                {
                    var heap = TestHeaps.HeapOf(500 + 37 * i, s * 1000 + i);
                    await stream.SendHeapAsync(heap, cnt: 1000 * s + i);
                }
            })));
        }
        queue.Stop();

        var assembler = new RefHeapAssembler();
        await foreach (byte[] packet in queue.ReadAllAsync().WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            assembler.Add(RefReceiver.ParsePacket(packet)); // entries are whole packets, exactly
        }
        Assert.Equal(0, assembler.Incomplete);
        Assert.Equal(senders * perSender, assembler.Completed.Count);
        foreach (ParsedHeap heap in assembler.Completed)
        {
            int s = (int)(heap.Cnt / 1000);
            int i = (int)(heap.Cnt % 1000);
            Assert.Equal(TestHeaps.Pattern(500 + 37 * i, s * 1000 + i), heap.AddressedItem(0x1000));
        }
    }

    [Fact]
    public async Task EachSubstreamHasItsQueue()
    {
        InprocQueue[] queues = [new(), new(), new()];
        await using (var stream = new InprocStream(queues))
        {
            Assert.Equal(3, stream.NumSubstreams);
            Assert.Equal(queues, stream.Queues);
            for (int i = 0; i < 6; i++)
            {
                stream.SendHeap(TestHeaps.HeapOf(100, i), substreamIndex: i % 3);
            }
        }
        for (int q = 0; q < 3; q++)
        {
            queues[q].Stop();
            var cnts = new List<long>();
            await foreach (byte[] p in queues[q].ReadAllAsync())
            {
                cnts.Add(RefReceiver.ParsePacket(p).HeapCnt);
            }
            Assert.Equal(new long[] { q + 1, q + 4 }, cnts);
        }
    }

    [Fact]
    public async Task SendingToAStoppedQueueFailsTheHeap()
    {
        var queue = new InprocQueue();
        await using var stream = new InprocStream(queue);
        stream.SendHeap(TestHeaps.HeapOf(100, 0));
        queue.Stop();
        var e = await Assert.ThrowsAsync<IOException>(async () => await stream.SendHeapAsync(TestHeaps.HeapOf(100, 1)));
        Assert.Contains("stopped", e.Message);
        Assert.Equal(1, queue.Count); // the packet queued before Stop is still there
    }

    [Fact]
    public void QueueListIsChecked()
    {
        Assert.Throws<ArgumentException>(() => new InprocStream(Array.Empty<InprocQueue>()));
        Assert.Throws<ArgumentException>(() => new InprocStream(new InprocQueue[] { null! }));
        Assert.Throws<ArgumentNullException>(() => new InprocStream((InprocQueue)null!));
    }
}
