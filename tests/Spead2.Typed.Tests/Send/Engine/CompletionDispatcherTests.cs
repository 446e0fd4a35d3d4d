using System.Collections.Concurrent;
using Spead2.Send;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// How the completions of one batch reach their awaiters: tasks nothing waits for are completed first, the awaited
/// ones then in heap order.
/// </summary>
public class CompletionDispatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // A gated stream whose writer holds heap "first" inside the transport while the test queues more behind it:
    // once released, the heaps queued meanwhile go out in one batch, and their completions are published together.
    private static (TestStream Stream, TestTransport Transport, ValueTask<long> First) HeldStream(bool synchronous)
    {
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 8, AllowSynchronousContinuations = synchronous });
        ValueTask<long> first = stream.SendHeapAsync(TestHeaps.HeapOf(100, 0));
        transport.WaitForEntry();
        return (stream, transport, first);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALoopAwaitingHeapsOneByOneResumesOncePerBatch(bool synchronous)
    {
        var (stream, transport, first) = HeldStream(synchronous);
        ValueTask<long> b = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        ValueTask<long> c = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2));
        ValueTask<long> d = stream.SendHeapAsync(TestHeaps.HeapOf(100, 3));
        Task<(bool C, bool D)> probe = Probe();

        transport.Gated = false;
        transport.Release(10);
        await first;
        // When the continuation of b runs, c and d (which nothing awaits yet) are already complete: a sender loop
        // goes on through them without suspending again.
        Assert.Equal((true, true), await probe.WaitAsync(Patience));
        Assert.True(await c > 0);
        Assert.True(await d > 0);
        await stream.DisposeAsync();

        async Task<(bool, bool)> Probe()
        {
            await b.ConfigureAwait(false);
            return (c.IsCompleted, d.IsCompleted);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AwaitedHeapsOfOneBatchResumeInHeapOrder(bool synchronous)
    {
        var (stream, transport, first) = HeldStream(synchronous);
        var order = new ConcurrentQueue<int>();
        var heaps = new ValueTask<long>[6];
        var awaiters = new List<Task>();
        for (int i = 0; i < heaps.Length; i++)
        {
            heaps[i] = stream.SendHeapAsync(TestHeaps.HeapOf(100, i + 1));
        }
        // Every other heap has an awaiter; the ones in between are completed first, without running anything.
        for (int i = 0; i < heaps.Length; i += 2)
        {
            awaiters.Add(Record(heaps[i], i));
        }

        transport.Gated = false;
        transport.Release(10);
        await first;
        await Task.WhenAll(awaiters).WaitAsync(Patience);
        Assert.Equal(new[] { 0, 2, 4 }, order);
        for (int i = 1; i < heaps.Length; i += 2)
        {
            Assert.True(await heaps[i] > 0);
        }
        await stream.DisposeAsync();

        async Task Record(ValueTask<long> heap, int index)
        {
            await heap.ConfigureAwait(false);
            order.Enqueue(index);
        }
    }
}
