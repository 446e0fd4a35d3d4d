using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Reliability.Tests;

/// <summary>
/// UDP faults on loopback: an unreachable port (ICMP errors), a tiny socket send buffer, datagrams larger than the
/// path allows. Errors surface on a heap's task as <see cref="IOException"/>; the stream stays usable.
/// </summary>
public class UdpFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static int DeadPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port; // closed again on return: nobody listens there
    }

    private static async Task<List<LoadHeap.Parsed>> CollectAsync(ReceiveStream receiver, int expected, TimeSpan quiet, CancellationToken token)
    {
        // UDP has no end of stream: read until the expected count, or until nothing came for a while.
        var list = new List<LoadHeap.Parsed>();
        while (list.Count < expected)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            wait.CancelAfter(quiet);
            ReceivedHeap? heap;
            try
            {
                heap = await receiver.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                break;
            }
            if (heap is null)
            {
                break;
            }
            using (heap)
            {
                Assert.True(LoadHeap.TryParse(heap, out LoadHeap.Parsed p));
                list.Add(p);
            }
        }
        return list;
    }

    /// <summary>
    /// Substream 0 goes to a closed port, substream 1 to a live receiver. With IP_RECVERR set on the socket, Linux
    /// reports the ICMP port-unreachable errors as ECONNREFUSED on a later send (whichever heap that is); without
    /// it, unconnected UDP sockets never see them. Either way: every task completes, errors are IOExceptions, every
    /// heap reported sent to the live port arrives, and sending goes on after the errors. Note that an error caused by
    /// one destination can surface on a heap for another: the socket, not the destination, holds the error.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UnreachablePortErrorsSurfaceOnAHeapAndTheStreamGoesOn(bool recvErr)
    {
        if (recvErr && !OperatingSystem.IsLinux())
        {
            output.WriteLine("IP_RECVERR is Linux-only; nothing to check here");
            return;
        }
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 256 });
        UdpReader reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var endpoints = new[] { new IPEndPoint(IPAddress.Loopback, DeadPort()), reader.LocalEndPoint };

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        if (recvErr)
        {
            socket.SetRawSocketOption(0 /* SOL_IP */, 11 /* IP_RECVERR */, BitConverter.GetBytes(1));
        }
        const int rounds = 300;
        var dead = new List<Task<long>>();
        var live = new List<Task<long>>();
        using (var stream = new UdpStream(socket, endpoints, new StreamConfig { MaxHeaps = 8, Rate = 20e6 }))
        {
            for (int i = 0; i < rounds; i++)
            {
                dead.Add(stream.SendHeapAsync(LoadHeap.Create(500, 0, i), substreamIndex: 0).AsTask());
                live.Add(stream.SendHeapAsync(LoadHeap.Create(500, 1, i), substreamIndex: 1).AsTask());
                await Task.WhenAll(dead[^1], live[^1]).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(cts.Token);
            }
        }
        // Then the live port only.
        const int after = 50;
        int afterFailed = 0;
        using (var stream = new UdpStream(socket, endpoints, new StreamConfig { MaxHeaps = 8, Rate = 20e6 }))
        {
            for (int i = 0; i < after; i++)
            {
                Task<long> t = stream.SendHeapAsync(LoadHeap.Create(500, 1, rounds + i), substreamIndex: 1).AsTask();
                await t.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(cts.Token);
                live.Add(t);
                if (t.IsFaulted)
                {
                    afterFailed++;
                }
            }
        }
        Task<long>[] all = [.. dead, .. live];
        Assert.All(all, t => Assert.True(t.IsCompletedSuccessfully || t.Exception!.InnerException is IOException,
            $"a heap ended with {t.Exception?.InnerException?.GetType().Name}, not IOException"));
        int errors = all.Count(t => t.IsFaulted);
        var refused = all.Where(t => t.IsFaulted).Select(t => ((IOException)t.Exception!.InnerException!).InnerException)
            .OfType<SocketException>().Count(e => e.SocketErrorCode == SocketError.ConnectionRefused);
        int liveSent = live.Count(t => t.IsCompletedSuccessfully);

        List<LoadHeap.Parsed> received = await CollectAsync(receiver, liveSent, TimeSpan.FromSeconds(2), cts.Token);
        var expected = live.Select((t, i) => (t, i)).Where(x => x.t.IsCompletedSuccessfully).Select(x => (long)x.i).ToList();
        Assert.All(received, p => Assert.True(p.Intact));
        Assert.Equal(expected, received.Select(p => p.Sequence));
        // The stream kept going: once the dead port is no longer used, at most one pending error is left to report.
        Assert.True(afterFailed <= 1, $"{afterFailed} of {after} heaps to the live port failed after the dead port was left alone");
        if (recvErr)
        {
            Assert.True(refused > 0, "no ECONNREFUSED surfaced although IP_RECVERR was set and the port is closed");
        }
        else
        {
            Assert.Equal(0, errors); // Linux keeps ICMP errors away from unconnected sockets without IP_RECVERR
        }
        output.WriteLine($"unreachable port (IP_RECVERR {(recvErr ? "on" : "off")}): {all.Length} heaps, {errors} faulted with IOException " +
            $"({refused} ECONNREFUSED), {liveSent} sent to the live port, {received.Count} received, lost 0");
    }

    /// <summary>
    /// A send buffer of 1 byte (the kernel raises it to its minimum): the blocking writer waits for room instead of
    /// dropping, so every packet is sent and every heap arrives. The rate (10 MB/s) keeps the receiver, not the
    /// sender under test, from dropping: its 4 MiB socket buffer covers a 400 ms stall of the consumer.
    /// </summary>
    [Fact]
    public async Task ATinySendBufferDropsNothing()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 256 });
        UdpReader reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        int heaps = Scale.Count(5_000, 2_000);
        const int size = 4000; // 3 packets per heap
        var collecting = Task.Run(() => CollectAsync(receiver, heaps, TimeSpan.FromSeconds(3), cts.Token));
        long bytes;
        int sendBuffer = KernelSendBufferFor(1);
        using (var stream = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port, new StreamConfig { MaxHeaps = 8, Rate = 10e6 }, bufferSize: 1))
        {
            bytes = await Senders.SendSequenceAsync(stream, 1, heaps, size, 8).WaitAsync(cts.Token);
        }
        List<LoadHeap.Parsed> received = await collecting.WaitAsync(cts.Token);
        long expectedBytes = (long)heaps * LoadHeapPacketBytes(size, 1472);
        output.WriteLine($"tiny send buffer (asked 1 B, kernel gave {sendBuffer} B): {heaps} heaps / {bytes} B reported sent, " +
            $"{received.Count} received, lost {heaps - received.Count}");
        Assert.Equal(expectedBytes, bytes);
        Assert.Equal(heaps, received.Count);
        Assert.All(received, p => Assert.True(p.Intact));
        Assert.Equal(Enumerable.Range(0, heaps).Select(i => (long)i), received.Select(p => p.Sequence));
    }

    /// <summary>
    /// Packets of 65536 bytes cannot be UDP datagrams (at most 65507 bytes over IPv4): EMSGSIZE surfaces on that
    /// heap's task only, and the small heaps around it still go.
    /// </summary>
    [Fact]
    public async Task ADatagramTooLargeFailsItsHeapOnly()
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        UdpReader reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: UdpReader.MaxMaxPacketSize);
        var results = new List<(bool Big, Task<long> Task)>();
        using (var stream = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port, new StreamConfig { MaxPacketSize = 65536, MaxHeaps = 8 }))
        {
            for (int i = 0; i < 10; i++)
            {
                bool big = i % 2 == 0;
                results.Add((big, stream.SendHeapAsync(LoadHeap.Create(big ? 200_000 : 1000, big ? 2 : 1, i)).AsTask()));
                await results[^1].Task.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(cts.Token);
            }
        }
        foreach ((bool big, Task<long> task) in results.Where(r => r.Big))
        {
            var e = Assert.IsAssignableFrom<IOException>(task.Exception?.InnerException);
            Assert.Equal(SocketError.MessageSize, Assert.IsType<SocketException>(e.InnerException).SocketErrorCode);
        }
        Assert.All(results.Where(r => !r.Big), r => Assert.True(r.Task.IsCompletedSuccessfully));
        List<LoadHeap.Parsed> received = await CollectAsync(receiver, 5, TimeSpan.FromSeconds(2), cts.Token);
        Assert.Equal([1, 3, 5, 7, 9], received.Select(p => p.Sequence));
        Assert.All(received, p => Assert.True(p.Intact));
        output.WriteLine($"oversized datagrams: 5 heaps with 65536-byte packets faulted with EMSGSIZE (\"{results[0].Task.Exception!.InnerException!.Message}\"), " +
            "the 5 small heaps between them arrived intact");
    }

    /// <summary>What the kernel grants a UDP socket that asks for <paramref name="requested"/> bytes (for the report).</summary>
    private static int KernelSendBufferFor(int requested)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.SendBufferSize = requested;
        return probe.SendBufferSize;
    }

    /// <summary>Bytes on the wire for one LoadHeap of <paramref name="size"/> payload bytes, computed by the packet generator.</summary>
    private static long LoadHeapPacketBytes(int size, int maxPacketSize)
    {
        var generator = new Packetizer(LoadHeap.Create(size, 1, 0), 1, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        long total = 0;
        while (generator.HasNextPacket)
        {
            total += generator.NextPacket(buffer);
        }
        return total;
    }
}
