using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;
using Spead2.TestSupport;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

/// <summary><see cref="ReceiveStreamConfig.HeapReady"/>: heaps handed to a callback on the reader's thread instead of a ring.</summary>
public class HeapReadyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EveryHeapReachesTheCallbackInOrderAndThenCompletionEnds()
    {
        var got = new List<(long Cnt, byte[] Data)>();
        var config = new ReceiveStreamConfig
        {
            HeapReady = heap =>
            {
                using (heap)
                    got.Add((heap.Cnt, heap.Items[0].Value.ToArray()));
            },
        };
        await using var stream = new ReceiveStream(config);
        var payloads = Enumerable.Range(1, 6).Select(c => Enumerable.Range(0, 300 * c).Select(i => (byte)(i * c)).ToArray()).ToArray();
        // Several packets per heap, so heaps are assembled, not taken whole.
        stream.AddBufferReader(Concat(Enumerable.Range(1, 6).SelectMany(c => Heap(40, c, [HeapItem.Addressed(0x1000, payloads[c - 1])], chunk: 256))));
        await stream.Completion.WaitAsync(Timeout);

        Assert.Equal([1L, 2, 3, 4, 5, 6], got.Select(g => g.Cnt));
        for (int i = 0; i < 6; i++)
            Assert.Equal(payloads[i], got[i].Data);
        Assert.Equal(6, stream.Statistics.Heaps);
        Assert.True(stream.IsStopped);
    }

    [Fact]
    public async Task AStreamWithACallbackCannotBeReadOrEnumerated()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { HeapReady = heap => heap.Dispose() });
        var read = Assert.Throws<InvalidOperationException>(() => stream.ReadAsync());
        Assert.Contains("HeapReady", read.Message);
        Assert.Throws<InvalidOperationException>(() => stream.GetAsyncEnumerator());
    }

    [Fact]
    public async Task ACallbackThatThrowsStopsTheStreamAndFaultsCompletionWithItsException()
    {
        int calls = 0;
        var boom = new InvalidDataException("boom");
        var config = new ReceiveStreamConfig
        {
            HeapReady = heap =>
            {
                heap.Dispose();
                if (++calls == 2)
                    throw boom;
            },
        };
        await using var stream = new ReceiveStream(config);
        stream.AddBufferReader(Concat(Enumerable.Range(1, 50).SelectMany(c => Heap(40, c, [HeapItem.Imm(0x1000, c)]))));
        var thrown = await Assert.ThrowsAsync<InvalidDataException>(() => stream.Completion.WaitAsync(Timeout));
        Assert.Same(boom, thrown);
        Assert.True(stream.IsStopped);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ACallbackThatThrewIsNotCalledAgainByTheOtherReaders()
    {
        int calls = 0;
        ReceiveStream? running = null;
        var config = new ReceiveStreamConfig
        {
            HeapReady = heap =>
            {
                heap.Dispose();
                Interlocked.Increment(ref calls);
                // The first call waits until the other two readers have their heaps too (they then queue for the
                // callback), and throws.
                var deadline = DateTime.UtcNow + Timeout;
                while (running!.Statistics.Heaps < 3 && DateTime.UtcNow < deadline)
                    Thread.Sleep(1);
                Thread.Sleep(50);
                throw new InvalidDataException("first heap");
            },
        };
        await using var stream = new ReceiveStream(config);
        running = stream;
        var readers = Enumerable.Range(0, 3).Select(_ => stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0))).ToArray();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            for (int r = 0; r < 3; r++)
            {
                foreach (var packet in Heap(40, r + 1, [HeapItem.Imm(0x1000, r)]))
                    socket.SendTo(packet, readers[r].LocalEndPoint);
            }
        }
        await Assert.ThrowsAsync<InvalidDataException>(() => stream.Completion.WaitAsync(Timeout));
        Assert.Equal(3, stream.Statistics.Heaps);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task TwoReadersNeverRunTheCallbackAtOnce()
    {
        const int Heaps = 1000;
        int inside = 0, overlaps = 0, heaps = 0;
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        var config = new ReceiveStreamConfig
        {
            MaxHeaps = 8,
            StopOnStopItem = false,
            HeapReady = heap =>
            {
                heap.Dispose();
                if (Interlocked.Increment(ref inside) != 1)
                    Interlocked.Increment(ref overlaps);
                threads[Environment.CurrentManagedThreadId] = true;
                Thread.Sleep(0);
                Thread.SpinWait(2000);
                heaps++;
                Interlocked.Decrement(ref inside);
            },
        };
        await using var stream = new ReceiveStream(config);
        // Two UDP readers: a receive thread each, fed at the same time.
        var a = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var b = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        await Task.WhenAll(
            Task.Run(() => Feed(a.LocalEndPoint, 1)),
            Task.Run(() => Feed(b.LocalEndPoint, 2)));
        using (var cts = new CancellationTokenSource(Timeout))
        {
            while (stream.Statistics.Heaps < Heaps)
                await Task.Delay(5, cts.Token);
        }
        stream.Stop();
        await stream.Completion.WaitAsync(Timeout);

        Assert.True(threads.Count >= 2, $"the callback ran on {threads.Count} thread(s)");
        Assert.Equal(0, overlaps);
        Assert.Equal(Heaps, heaps);

        // Odd cnts to one reader, even to the other; a pause now and then keeps the socket buffers from overflowing.
        static void Feed(IPEndPoint to, int first)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            for (int c = first; c <= Heaps; c += 2)
            {
                foreach (var packet in Heap(40, c, [HeapItem.Imm(0x1000, c)]))
                    socket.SendTo(packet, to);
                if (c % 50 < 2)
                    Thread.Sleep(1);
            }
        }
    }

    [BatchedReceiveFact]
    public async Task SteadyStateReceiveThroughTheCallbackAllocatesNothingOnTheReceiveThread()
    {
        const int From = 100, To = 250;
        long allocatedAtFrom = -1, allocatedAtTo = -1;
        int seen = 0;
        var config = new ReceiveStreamConfig
        {
            HeapReady = heap =>
            {
                heap.Dispose();
                // Read on the receive thread: everything it did for the heaps in between (receive, assembly, the
                // pool, this callback) is counted.
                int n = seen + 1;
                if (n == From)
                    allocatedAtFrom = GC.GetAllocatedBytesForCurrentThread();
                else if (n == To)
                    allocatedAtTo = GC.GetAllocatedBytesForCurrentThread();
                Volatile.Write(ref seen, n);
            },
        };
        await using var stream = new ReceiveStream(config);
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var payload = new byte[64 * 1024];
        var heaps = Enumerable.Range(1, To).Select(c => Heap(40, c, [HeapItem.Addressed(0x1000, payload)], chunk: 1400)).ToArray();
        // Lock-step, a heap at a time, so that no datagram can be dropped (a lost packet would leave a heap open and
        // rightly cost a second buffer); waiting asynchronously also lets the reader's thread start.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            var deadline = DateTime.UtcNow + Timeout;
            for (int h = 0; h < To; h++)
            {
                foreach (var packet in heaps[h])
                    socket.SendTo(packet, reader.LocalEndPoint);
                // Only the counter the callback writes is polled: reading the statistics here would contend for the
                // stream's lock with the reader, and a first contention allocates the lock's wait event on its thread.
                while (Volatile.Read(ref seen) <= h)
                {
                    if (DateTime.UtcNow >= deadline)
                        Assert.Fail($"heap {h + 1} did not arrive: {stream.Statistics.KernelDroppedPackets} datagrams dropped");
                    await Task.Delay(1);
                }
            }
        }
        stream.Stop();
        await stream.Completion.WaitAsync(Timeout);
        var st = stream.Statistics;
        Assert.True(allocatedAtTo - allocatedAtFrom == 0, $"{allocatedAtTo - allocatedAtFrom} B allocated for {To - From} heaps; incomplete {st.IncompleteHeaps}, dropped {st.KernelDroppedPackets}");
    }

    [Fact]
    public async Task AUdpReaderCallsTheCallbackOnItsReceiveThread()
    {
        var names = new List<string?>();
        var config = new ReceiveStreamConfig
        {
            HeapReady = heap =>
            {
                using (heap)
                    names.Add(Thread.CurrentThread.Name);
            },
        };
        await using var stream = new ReceiveStream(config);
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using (var sender = new UdpStream([reader.LocalEndPoint], new StreamConfig { Rate = 100e6 }))
        {
            for (int i = 0; i < 5; i++)
            {
                var heap = new global::Spead2.Send.Heap();
                heap.AddItem(0x1000, new byte[5000]);
                await sender.SendHeapAsync(heap);
            }
            var end = new global::Spead2.Send.Heap();
            end.AddEnd();
            await sender.SendHeapAsync(end);
        }
        await stream.Completion.WaitAsync(Timeout);
        Assert.Equal(5, names.Count);
        Assert.All(names, n => Assert.StartsWith("spead2 recv udp", n));
    }
}

/// <summary>
/// A fact about the batched UDP receive path, skipped when <see cref="UdpReader.PortableEnvironmentVariable"/> forces the
/// portable one: that path receives through <see cref="Socket.Receive(Span{byte}, SocketFlags)"/>, and what .NET's socket
/// layer allocates now and then (56 B over 150 heaps in some runs) is not the receiver's own.
/// </summary>
public sealed class BatchedReceiveFactAttribute : FactAttribute
{
    public BatchedReceiveFactAttribute()
    {
        if (UdpReader.IsPortableForcedByEnvironment())
        {
            Skip = $"{UdpReader.PortableEnvironmentVariable} forces the portable receive path";
        }
    }
}
