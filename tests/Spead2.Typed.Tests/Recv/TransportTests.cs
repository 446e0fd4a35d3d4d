using System.Net;
using System.Net.Sockets;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Recv;

public class TransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Heaps of a counter item, then a stop heap, as separate packet lists.</summary>
    private static (List<List<byte[]>> Heaps, SendItemGroup Sender) CounterHeaps(int count, int arrayLength = 1000, int maxPacketSize = 1472)
    {
        var sender = new SendItemGroup();
        var counter = sender.AddItem(null, "counter", "", [], format: [new FormatField('u', 32)], value: 0u);
        var data = sender.AddItem(null, "data", "", [arrayLength], dtype: "<i4", value: new int[arrayLength]);
        var heaps = new List<List<byte[]>>();
        for (int i = 1; i <= count; i++)
        {
            counter.Value = (uint)i;
            data.Value = Enumerable.Range(i, arrayLength).ToArray();
            heaps.Add(Packets(sender.GetHeap(), i, maxPacketSize));
        }
        heaps.Add(Packets(sender.GetEnd(), count + 1, maxPacketSize));
        return (heaps, sender);
    }

    private static List<byte[]> Packets(Heap heap, long cnt, int maxPacketSize)
    {
        var gen = new Packetizer(heap, cnt, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        var list = new List<byte[]>();
        while (gen.HasNextPacket)
            list.Add(buffer.AsSpan(0, gen.NextPacket(buffer)).ToArray());
        return list;
    }

    /// <summary>Reads every heap until the stream ends and checks the counter sequence 1..count.</summary>
    private static async Task ExpectCounters(ReceiveStream stream, int count, int arrayLength = 1000)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var group = new ItemGroup();
        var seen = new List<uint>();
        await foreach (var heap in stream.WithCancellation(cts.Token))
        {
            using (heap)
            {
                var update = group.Update(heap);
                Assert.Empty(update.Errors);
                if (update.Updated.Count > 0)
                {
                    uint c = (uint)group["counter"].Value!;
                    seen.Add(c);
                    Assert.Equal(Enumerable.Range((int)c, arrayLength), (int[])group["data"].Value!);
                }
            }
        }
        Assert.Equal(Enumerable.Range(1, count).Select(i => (uint)i), seen);
        await stream.Completion.WaitAsync(cts.Token);
    }

    [Fact]
    public async Task UdpFromAPlainSocket()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: 1500);
        Assert.NotEqual(0, reader.LocalEndPoint.Port);
        var (heaps, _) = CounterHeaps(20);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // Junk first: an oversized datagram and a packet with a trailing byte are both dropped.
        socket.SendTo(new byte[1600], reader.LocalEndPoint);
        socket.SendTo(heaps[0][0].Concat(new byte[] { 0 }).ToArray(), reader.LocalEndPoint);
        foreach (var heap in heaps)
        {
            foreach (var packet in heap)
                socket.SendTo(packet, reader.LocalEndPoint);
            await Task.Delay(1);   // pace a little: loopback UDP can still drop bursts
        }
        await ExpectCounters(stream, 20);
        Assert.Equal(2, stream.Statistics.MalformedPackets);
    }

    [Fact]
    public async Task UdpFromTheSendStream()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var sender = new SendItemGroup();
        var counter = sender.AddItem(null, "counter", "", [], format: [new FormatField('u', 32)], value: 0u);
        var data = sender.AddItem(null, "data", "", [1000], dtype: "<i4", value: new int[1000]);
        await using (var udp = new UdpStream([reader.LocalEndPoint], new Spead2.Send.StreamConfig { Rate = 50e6 }))
        {
            for (int i = 1; i <= 20; i++)
            {
                counter.Value = (uint)i;
                data.Value = Enumerable.Range(i, 1000).ToArray();
                await udp.SendHeapAsync(sender.GetHeap());
            }
            await udp.SendHeapAsync(sender.GetEnd());
        }
        await ExpectCounters(stream, 20);
    }

    [Fact]
    public async Task UdpMulticastOnLoopback()
    {
        var group = IPAddress.Parse("239.255.77.1");
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        var reader = stream.AddUdpMulticastReader(group, 0, IPAddress.Loopback);
        var (heaps, _) = CounterHeaps(5);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.Loopback.GetAddressBytes());
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
        var target = new IPEndPoint(group, reader.LocalEndPoint.Port);
        foreach (var heap in heaps)
        {
            foreach (var packet in heap)
                socket.SendTo(packet, target);
            await Task.Delay(1);
        }
        await ExpectCounters(stream, 5);
    }

    [Fact]
    public void MulticastArgumentsAreChecked()
    {
        using var stream = new ReceiveStream();
        Assert.Throws<ArgumentException>(() => stream.AddUdpMulticastReader(IPAddress.Loopback, 0));
        Assert.Throws<ArgumentException>(() => stream.AddUdpMulticastReader(IPAddress.Parse("239.1.1.1"), 0, interfaceIndex: 1));
        Assert.Throws<ArgumentException>(() => stream.AddUdpMulticastReader(IPAddress.Parse("ff02::1"), 0, IPAddress.Loopback));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: 70000));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), bufferSize: -1));
    }

    [Fact]
    public async Task TcpFromAPlainSocketWithJunkAndSmallWrites()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: 9000);
        var (heaps, _) = CounterHeaps(10, maxPacketSize: 8000);
        // 16 junk bytes (two skips of 8), then an oversized packet (skipped whole), then the heaps.
        var oversized = RefEncoder.Packet(40, 99, 10000, 0, new byte[10000]);
        var bytes = new byte[16].Concat(oversized).Concat(heaps.SelectMany(h => h).SelectMany(p => p)).ToArray();
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(reader.LocalEndPoint);
            var random = new Random(7);
            for (int offset = 0; offset < bytes.Length;)
            {
                int n = Math.Min(bytes.Length - offset, random.Next(1, 3000));
                await socket.SendAsync(bytes.AsMemory(offset, n));
                offset += n;
            }
            socket.Shutdown(SocketShutdown.Send);
            await ExpectCounters(stream, 10);
        }
        Assert.NotNull(reader.RemoteEndPoint);
        var stats = stream.Statistics;
        Assert.Equal(2, stats.MalformedPackets);      // the junk, the oversized packet
        Assert.Equal(16 + oversized.Length, stats.SkippedBytes);
    }

    [Fact]
    public async Task TcpEndOfFileStopsTheStream()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var (heaps, _) = CounterHeaps(3);
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(reader.LocalEndPoint);
            // The heaps but not the stop heap: closing the connection ends the stream instead.
            foreach (var packet in heaps.Take(3).SelectMany(h => h))
                await socket.SendAsync(packet);
        }
        await ExpectCounters(stream, 3);
    }

    [Fact]
    public async Task TcpFromTheSendStream()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var sender = new SendItemGroup();
        var counter = sender.AddItem(null, "counter", "", [], format: [new FormatField('u', 32)], value: 0u);
        var data = sender.AddItem(null, "data", "", [1000], dtype: "<i4", value: new int[1000]);
        await using (var tcp = await TcpStream.ConnectAsync(reader.LocalEndPoint, new Spead2.Send.StreamConfig { MaxPacketSize = 9000 }))
        {
            for (int i = 1; i <= 20; i++)
            {
                counter.Value = (uint)i;
                data.Value = Enumerable.Range(i, 1000).ToArray();
                await tcp.SendHeapAsync(sender.GetHeap());
            }
            await tcp.SendHeapAsync(sender.GetEnd());
        }
        await ExpectCounters(stream, 20);
    }

    [Fact]
    public async Task TcpConnectionResetIsAnIOException()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var (heaps, _) = CounterHeaps(1);
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(reader.LocalEndPoint);
            foreach (var packet in heaps[0])
                await socket.SendAsync(packet);
            await Task.Delay(200);
            socket.LingerState = new LingerOption(true, 0);   // close with a reset
        }
        using var cts = new CancellationTokenSource(Timeout);
        var received = new List<ReceivedHeap>();
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var heap in stream.WithCancellation(cts.Token))
                received.Add(heap);
        });
        Assert.Single(received);   // the heap before the fault still came through
    }

    [Fact]
    public async Task InprocFromTheSendStream()
    {
        var queue = new InprocQueue();
        await using var stream = new ReceiveStream();
        stream.AddInprocReader(queue);
        var sender = new SendItemGroup();
        var counter = sender.AddItem(null, "counter", "", [], format: [new FormatField('u', 32)], value: 0u);
        var data = sender.AddItem(null, "data", "", [1000], dtype: "<i4", value: new int[1000]);
        await using (var inproc = new InprocStream(queue))
        {
            for (int i = 1; i <= 20; i++)
            {
                counter.Value = (uint)i;
                data.Value = Enumerable.Range(i, 1000).ToArray();
                await inproc.SendHeapAsync(sender.GetHeap());
            }
        }
        queue.Stop();   // no stop heap: stopping the queue ends the stream
        await ExpectCounters(stream, 20);
    }

    [Fact]
    public async Task InprocEntryWithTrailingBytesIsMalformed()
    {
        var queue = new InprocQueue();
        await using var stream = new ReceiveStream();
        stream.AddInprocReader(queue);
        var packet = RefEncoder.Heap(40, 1, [RefEncoder.HeapItem.Imm(0x1000, 5)])[0];
        queue.AddPacket(packet.Concat(new byte[] { 0 }).ToArray());
        queue.AddPacket(packet);
        queue.Stop();
        var heaps = await RoundTripTests.Collect(stream);
        Assert.Single(heaps);
        Assert.Equal(1, stream.Statistics.MalformedPackets);
    }
}
