using System.Net;
using System.Net.Sockets;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Send.Engine;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send;

/// <summary>
/// <see cref="StreamConfig.AllowSynchronousContinuations"/>: where continuations run, what stays safe on the writer
/// thread, and that it changes neither the packets nor the allocation-free steady state.
/// </summary>
[Collection(MetricsCollection.Name)]
public class SynchronousContinuationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static bool OnWriterThread => Thread.CurrentThread.Name?.EndsWith(" writer", StringComparison.Ordinal) == true;

    [Fact]
    public void TheOptionIsOffByDefaultAndCopiedWithTheConfig()
    {
        var config = new StreamConfig();
        Assert.False(config.AllowSynchronousContinuations);
        config.AllowSynchronousContinuations = true;
        Assert.True(config.Clone().AllowSynchronousContinuations);
        Assert.Contains("AllowSynchronousContinuations=True", config.ToString());
    }

    [Fact]
    public async Task ByDefaultContinuationsRunOffTheWriterThread()
    {
        var transport = new TestTransport();
        await using var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 4 });
        Assert.Equal(0, await CountOnWriter().WaitAsync(Patience));

        // Without a captured context, as library code awaits.
        async Task<int> CountOnWriter()
        {
            int onWriter = 0;
            for (int i = 0; i < 50; i++)
            {
                await stream.SendHeapAsync(TestHeaps.HeapOf(100, i)).ConfigureAwait(false);
                onWriter += OnWriterThread ? 1 : 0;
            }
            return onWriter;
        }
    }

    [Fact]
    public async Task WhenAllowedContinuationsRunOnTheWriterThreadAndCanQueueTheNextHeap()
    {
        // Gated: the first heap cannot complete before the loop awaits it, so its continuation runs on the writer, and
        // from then on every await there must suspend (the writer is busy running the loop) and resume there too.
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 1, AllowSynchronousContinuations = true });
        Task<int> counting = CountOnWriter();
        transport.Gated = false;
        transport.Release();
        Assert.Equal(200, await counting.WaitAsync(Patience));
        await stream.DisposeAsync();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), transport.Parsed.Select(p => p.HeapCnt).Distinct());

        async Task<int> CountOnWriter()
        {
            int count = 0;
            for (int i = 0; i < 200; i++)
            {
                // MaxHeaps = 1: the slot must already be free when the continuation queues the next heap.
                await stream.SendHeapAsync(TestHeaps.HeapOf(50, i)).ConfigureAwait(false);
                count += OnWriterThread ? 1 : 0;
            }
            return count;
        }
    }

    [Fact]
    public async Task BlockingCallsOnTheWriterThreadThrowInsteadOfDeadlocking()
    {
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 4, AllowSynchronousContinuations = true });
        ValueTask<long> first = stream.SendHeapAsync(TestHeaps.HeapOf(100, 1));
        transport.WaitForEntry(); // the writer holds the first heap, so the await below must suspend
        ValueTask<long> second = stream.SendHeapAsync(TestHeaps.HeapOf(100, 2));

        Task<(bool OnWriter, Exception? Send, Exception? Flush, Exception? Dispose)> probe = ProbeAsync();
        transport.Gated = false;
        transport.Release(10);
        var (onWriter, send, flush, dispose) = await probe.WaitAsync(Patience);

        Assert.True(onWriter);
        Assert.Contains("writer thread", Assert.IsType<InvalidOperationException>(send).Message);
        Assert.Contains("Flush", Assert.IsType<InvalidOperationException>(flush).Message);
        Assert.Contains("Dispose", Assert.IsType<InvalidOperationException>(dispose).Message);
        Assert.True(await second > 0);
        await stream.DisposeAsync();

        async Task<(bool, Exception?, Exception?, Exception?)> ProbeAsync()
        {
            await first.ConfigureAwait(false);
            // The second heap is still queued here: Flush and Dispose would wait for this very thread.
            Exception? sendError = Record.Exception(() => stream.SendHeap(TestHeaps.HeapOf(10, 3)));
            Exception? flushError = Record.Exception(stream.Flush);
            Exception? disposeError = Record.Exception(stream.Dispose);
            return (OnWriterThread, sendError, flushError, disposeError);
        }
    }

    [Fact]
    public async Task DisposeFromAContinuationWithNothingQueuedStopsTheStream()
    {
        var transport = new TestTransport { Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 2, AllowSynchronousContinuations = true });
        Task<bool> disposing = DisposeAfterFirstHeap();
        transport.Gated = false;
        transport.Release();
        Assert.True(await disposing.WaitAsync(Patience));
        Assert.Throws<ObjectDisposedException>(() => stream.SendHeap(TestHeaps.HeapOf(10, 0)));
        Assert.True(SpinWait.SpinUntil(() => transport.Disposed, Patience));
        Assert.Single(transport.Parsed.Select(p => p.HeapCnt).Distinct());

        async Task<bool> DisposeAfterFirstHeap()
        {
            // Gated: this await suspends, and the writer resumes it once the heap is sent, with nothing else queued.
            await stream.SendHeapAsync(TestHeaps.HeapOf(10, 1)).ConfigureAwait(false);
            bool onWriter = OnWriterThread;
            stream.Dispose();
            return onWriter;
        }
    }

    [Fact]
    public async Task AnAwaitingSendLoopOnTheWriterThreadAllocatesNothing()
    {
        var transport = new TestTransport { TrackAllocations = true, Gated = true };
        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 2, AllowSynchronousContinuations = true });
        var heap = new Heap();
        heap.AddItem(0x1000, (ReadOnlyMemory<byte>)new byte[16 * 1024], allowImmediate: false);
        // Send-call indexes at heaps 500, 1000, 1500 and 2000: three windows after the warm-up (state machine boxed,
        // pools filled). Tiered compilation, promoting a method, may allocate once on the thread that calls it; an
        // allocation per heap shows in every window, so the fewest bytes of the three must be 0.
        var marks = new List<int>(4);
        int offWriter = 0;

        // Gated until the loop has suspended on its first heap, so that the whole loop then runs on the writer.
        Task loop = Loop();
        transport.Gated = false;
        transport.Release();
        await loop.WaitAsync(Patience);
        Assert.Equal(0, offWriter);
        marks.Add(transport.WriterAllocations.Count);
        Assert.Equal(4, marks.Count);
        long fewest = long.MaxValue;
        for (int w = 0; w < 3; w++)
        {
            fewest = Math.Min(fewest, transport.WriterBytesBetween(marks[w], marks[w + 1]));
        }
        Assert.Equal(0L, fewest);
        await stream.DisposeAsync();

        async Task Loop()
        {
            for (int i = 0; i < 2000; i++)
            {
                if (i % 500 == 0 && i > 0)
                {
                    marks.Add(transport.WriterAllocations.Count);
                }
                await stream.SendHeapAsync(heap).ConfigureAwait(false);
                offWriter += OnWriterThread ? 0 : 1;
            }
        }
    }

    [Fact]
    public async Task UdpPacketsAreTheSameWithEitherSetting()
    {
        // Copying small packets straight into the batch (the UDP writer's path below 4096 bytes) and running
        // continuations on the writer must not change a byte on the wire: both give the generator's own packets.
        var expected = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            var generator = new Packetizer(TestHeaps.HeapOf(20_000 + i * 1000, i), i + 1, 1472);
            var packet = new byte[1472];
            while (generator.HasNextPacket)
            {
                expected.Add(packet[..generator.NextPacket(packet)]);
            }
        }
        Assert.True(expected.Count > 40, $"{expected.Count} datagrams");

        foreach (bool synchronous in new[] { false, true })
        {
            using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            receiver.ReceiveBufferSize = 4 << 20;
            receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            receiver.ReceiveTimeout = 5000;
            var config = new StreamConfig { MaxPacketSize = 1472, MaxHeaps = 4, AllowSynchronousContinuations = synchronous };
            using (var stream = new UdpStream([(IPEndPoint)receiver.LocalEndPoint!], config))
            {
                for (int i = 0; i < 3; i++)
                {
                    await stream.SendHeapAsync(TestHeaps.HeapOf(20_000 + i * 1000, i)).AsTask().WaitAsync(Patience);
                }
            }
            var buffer = new byte[65536];
            for (int i = 0; i < expected.Count; i++)
            {
                int n = receiver.Receive(buffer);
                Assert.True(expected[i].AsSpan().SequenceEqual(buffer.AsSpan(0, n)), $"datagram {i} differs (synchronous continuations: {synchronous})");
            }
            Assert.False(receiver.Poll(50_000, SelectMode.SelectRead), "extra datagrams");
        }
    }
}
