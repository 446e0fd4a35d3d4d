using System.Net;
using System.Net.Sockets;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>The SendAsync/Send extensions: same bytes as building heaps by hand, and no allocation per heap.</summary>
[Collection(nameof(NonParallelCollection))]
public class SendExtensionTests
{
    private static Dump Sample(ulong i, float[] vis) => new(0x1000 + i, vis, "3C273");

    [Fact]
    public async Task SendAsyncSendsWhatGetHeapBuilds()
    {
        var vis = new float[8];
        var viaExtension = new BytesStream();
        var generator = new HeapWriter<Dump>(descriptorFrequency: 2);
        await viaExtension.SendStartAsync(generator);
        for (ulong i = 0; i < 5; i++)
        {
            await viaExtension.SendAsync(generator, Sample(i, vis));
        }

        viaExtension.Send(generator, Sample(5, vis), HeapContents.All);
        await viaExtension.SendEndAsync(generator);

        var byHand = new BytesStream();
        var reference = new HeapWriter<Dump>(descriptorFrequency: 2);
        byHand.SendHeap(reference.GetStart());
        for (ulong i = 0; i < 5; i++)
        {
            byHand.SendHeap(reference.GetHeap(Sample(i, vis)));
        }

        byHand.SendHeap(reference.GetHeap(Sample(5, vis), HeapContents.All));
        byHand.SendHeap(reference.GetEnd());

        Assert.Equal(byHand.GetValue(), viaExtension.GetValue());
    }

    [Fact]
    public async Task SendAsyncWithContinuationsOnTheWriterThreadSendsTheSameBytes()
    {
        var vis = new float[8];
        byte[] pooled = await Run(synchronous: false);
        byte[] inline = await Run(synchronous: true);
        Assert.True(inline.Length > 50 * 100);
        Assert.Equal(pooled, inline);

        // Without a captured context, so that with the option the loop resumes on the writer thread.
        async Task<byte[]> Run(bool synchronous)
        {
            var stream = new BytesStream(new StreamConfig { AllowSynchronousContinuations = synchronous });
            var generator = new HeapWriter<Dump>(descriptorFrequency: 2);
            await stream.SendStartAsync(generator).ConfigureAwait(false);
            for (ulong i = 0; i < 50; i++)
            {
                await stream.SendAsync(generator, Sample(i, vis)).ConfigureAwait(false);
            }
            await stream.SendEndAsync(generator).ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            return stream.GetValue();
        }
    }

    [Fact]
    public async Task ABadValueSendsNothingAndKeepsDescriptorsDue()
    {
        var stream = new BytesStream();
        var generator = new HeapWriter<Dump>();
        await Assert.ThrowsAsync<ArgumentException>(async () => await stream.SendAsync(generator, new Dump(1, new float[3], "x")));
        Assert.Equal(0, stream.Length);

        // The failed heap must not count as having sent the descriptors.
        var heap = generator.GetHeap(new Dump(1, new float[8], "x"));
        Assert.Equal(6, heap.Count);
    }

    [Fact]
    public Task SendAsyncOnUdpLoopbackAllocatesNothingPerHeapInSteadyState() => Task.Run(async () =>
    {
        // Run on the pool without xunit's synchronization context, whose posts would allocate per await.
        // A receiving socket that is never read: the kernel drops what overflows, and sends still succeed.
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.LocalEndPoint!).Port;
        await using var stream = new UdpStream("127.0.0.1", port, new StreamConfig { Rate = 0 });
        var generator = new HeapWriter<Dump>();
        var value = Sample(0, new float[8]);
        var heap = new Heap();

        const int Heaps = 2000;
        for (var i = 0; i < 200; i++)
        {
            await stream.SendAsync(generator, value);
            heap.Clear();
            generator.AddToHeap(value, heap);
            await stream.SendHeapAsync(heap);
        }

        // Process-wide, because continuations resume on pool threads; that counter also sees unrelated runtime
        // activity (tiered JIT, timers, a few KB now and then), so take the quietest of three rounds and require
        // less than one byte per heap: any real per-heap allocation costs at least 24 bytes a heap.
        long byHand = long.MaxValue, viaExtension = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var start = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Heaps; i++)
            {
                heap.Clear();
                generator.AddToHeap(value, heap);
                await stream.SendHeapAsync(heap);
            }

            byHand = Math.Min(byHand, GC.GetTotalAllocatedBytes(precise: true) - start);
            start = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Heaps; i++)
            {
                await stream.SendAsync(generator, value);
            }

            viaExtension = Math.Min(viaExtension, GC.GetTotalAllocatedBytes(precise: true) - start);
        }

        Assert.True(viaExtension < Heaps, $"SendAsync: {viaExtension} bytes for {Heaps} heaps (a reused heap sent by hand: {byHand}).");
    });
}

[CollectionDefinition(nameof(NonParallelCollection), DisableParallelization = true)]
public sealed class NonParallelCollection
{
}
