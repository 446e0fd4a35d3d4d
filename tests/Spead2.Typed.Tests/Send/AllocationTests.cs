using Spead2.Send;
using Spead2.Tests.Send.Engine;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send;

/// <summary>Steady-state sending allocates nothing, on the sending thread or on the writer thread.</summary>
[Collection(MetricsCollection.Name)]
public class AllocationTests
{
    private static Heap MakeHeap()
    {
        var heap = new Heap();
        heap.AddItem(0x1000, (ReadOnlyMemory<byte>)new byte[64 * 1024], allowImmediate: false);
        heap.AddImmediate(0x1001, 42);
        return heap;
    }

    [Fact]
    public void BlockingSendsAllocateNothing()
    {
        var transport = new TestTransport();
        using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 4 });
        Heap heap = MakeHeap();
        transport.TrackAllocations = true;
        for (int i = 0; i < 200; i++)
        {
            stream.SendHeap(heap); // warm up: pools, lazily created events, JIT tiers
        }
        Assert.Equal((0L, 0L), FewestBytes(transport, () =>
        {
            for (int i = 0; i < 2000; i++)
            {
                stream.SendHeap(heap);
            }
        }));
    }

    [Fact]
    public void AsynchronousSendsAllocateNothingWhenTheValueTaskIsConsumedDirectly()
    {
        var transport = new TestTransport { TrackAllocations = true };
        using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 4 });
        Heap heap = MakeHeap();
        var pending = new ValueTask<long>[4];

        void Round()
        {
            // Four heaps in flight at once, then take each result (no awaiting: continuations would run elsewhere).
            for (int k = 0; k < pending.Length; k++)
            {
                pending[k] = stream.SendHeapAsync(heap);
            }
            for (int k = 0; k < pending.Length; k++)
            {
                while (!pending[k].IsCompleted)
                {
                    Thread.SpinWait(20); // no SpinUntil: its lambda would allocate a closure here
                }
                Assert.True(pending[k].Result > 0);
            }
        }

        for (int i = 0; i < 100; i++)
        {
            Round();
        }
        Assert.Equal((0L, 0L), FewestBytes(transport, () =>
        {
            for (int i = 0; i < 500; i++)
            {
                Round();
            }
        }));
    }

    /// <summary>
    /// Bytes allocated by the caller and by the writer while <paramref name="run"/> runs: the first round where both
    /// are 0, else the last. Up to three rounds, because tiered compilation, promoting a method while a round runs,
    /// may allocate once on the thread that calls it; an allocation per heap shows in every round.
    /// </summary>
    private static (long Caller, long Writer) FewestBytes(TestTransport transport, Action run)
    {
        (long Caller, long Writer) bytes = default;
        for (int round = 0; round < 3; round++)
        {
            int mark = transport.WriterAllocations.Count;
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            bytes = (GC.GetAllocatedBytesForCurrentThread() - before, transport.WriterBytesSince(mark));
            if (bytes == (0L, 0L))
            {
                break;
            }
        }
        return bytes;
    }
}
