using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class SteadyStateTests
{
    [Fact]
    public void PacketsInTheMiddleOfAHeapAllocateNothing()
    {
        var assembler = new HeapAssembler(new ReceiveStreamConfig { AllowOutOfOrder = true });
        var ready = new List<ReceivedHeap>(16);
        var data = new byte[20000];
        var heaps = Enumerable.Range(1, 50).Select(c => Heap(40, c, [HeapItem.Addressed(0x1000, data), HeapItem.Imm(0x1001, c)], chunk: 1000)).ToList();
        // The best of three passes, so that a one-off runtime allocation on this thread (JIT, a
        // timer) under a loaded machine cannot fail the test; a per-packet allocation fails every pass.
        long bestMiddle = long.MaxValue, bestWhole = long.MaxValue;
        for (int pass = 0; pass < 3; pass++)
        {
            long middle = 0, whole = 0;
            for (int h = 0; h < heaps.Count; h++)
            {
                var packets = heaps[h];
                long start = GC.GetAllocatedBytesForCurrentThread();
                assembler.AddPacket(packets[0], ready);
                long afterFirst = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 1; i < packets.Count - 1; i++)
                    assembler.AddPacket(packets[i], ready);
                long afterMiddle = GC.GetAllocatedBytesForCurrentThread();
                assembler.AddPacket(packets[^1], ready);
                long end = GC.GetAllocatedBytesForCurrentThread();
                foreach (var heap in ready)
                    heap.Dispose();
                ready.Clear();
                if (h >= 10)   // after warm-up (pool, JIT)
                {
                    middle += afterMiddle - afterFirst;
                    whole += end - start;
                }
            }
            bestMiddle = Math.Min(bestMiddle, middle);
            bestWhole = Math.Min(bestWhole, whole);
        }
        Assert.Equal(0, bestMiddle);
        // What a delivered heap costs: the ReceivedHeap and its item array (the payload buffer is pooled).
        Assert.True(bestWhole / 40 < 512, $"{bestWhole / 40} bytes per heap");
    }

    [Fact]
    public async Task ClippedSocketBufferIsLoggedAndDroppedHeapsToo()
    {
        var logger = new FakeLoggerProvider();
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { LoggerFactory = new LoggerFactory([logger]) });
        // Far above any sane net.core.rmem_max: the OS clips it, and that is worth a warning.
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), bufferSize: 1 << 30);
        Assert.True(reader.ReceiveBufferSize < 1 << 30);
        Assert.Contains(logger.Collector.GetSnapshot(), e => e.Level == LogLevel.Warning && e.Message.Contains("socket buffer"));

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendTo(Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[100])], chunk: 50)[0], reader.LocalEndPoint);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (stream.Statistics.Packets < 1)
            await Task.Delay(10, cts.Token);
        stream.Stop();
        Assert.Empty(await RoundTripTests.Collect(stream));
        Assert.Contains(logger.Collector.GetSnapshot(), e => e.Level == LogLevel.Warning && e.Message.Contains("incomplete heap 1"));
    }

    [Fact]
    public async Task UdpAndTcpOverIPv6Loopback()
    {
        var packets = Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[3000])], chunk: 1000)
            .Concat(Heap(40, 2, [HeapItem.Imm(6, 2)])).ToList();

        await using (var udpStream = new ReceiveStream())
        {
            var udp = udpStream.AddUdpReader(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            foreach (var p in packets)
                socket.SendTo(p, udp.LocalEndPoint);
            var heap = Assert.Single(await RoundTripTests.Collect(udpStream).WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(3000, heap.Items[0].Value.Length);
        }

        await using (var tcpStream = new ReceiveStream())
        {
            var tcp = tcpStream.AddTcpReader(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(tcp.LocalEndPoint);
            await socket.SendAsync(Concat(packets));
            var heap = Assert.Single(await RoundTripTests.Collect(tcpStream).WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Equal(3000, heap.Items[0].Value.Length);
        }
    }
}
