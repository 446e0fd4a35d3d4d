using System.Net;
using System.Net.Sockets;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

/// <summary>
/// UdpStream through the batch sender: the datagrams on the wire equal the generator's packets, with
/// the fast path on and forced off, and a refused datagram fails its heap only.
/// </summary>
[Collection(NativeSendCollection.Name)]
public sealed class UdpStreamFastPathTests : IDisposable
{
    /// <summary>Total bytes of the heap's packets, counted by packetizing it into a scratch buffer.</summary>
    private static long PacketBytes(Heap heap, int maxPacketSize)
    {
        var packetizer = new Packetizer(heap, 0, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        long total = 0;
        while (packetizer.HasNextPacket)
            total += packetizer.NextPacket(buffer);
        return total;
    }

    private readonly Socket _receiver = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public UdpStreamFastPathTests()
    {
        _receiver.ReceiveBufferSize = 4 << 20;
        _receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _receiver.ReceiveTimeout = 5000;
    }

    public void Dispose() => _receiver.Dispose();

    [Theory]
    [InlineData(false, 1472)]
    [InlineData(false, 8972)]
    [InlineData(true, 1472)]
    public void HeapsArriveAsGeneratedPackets(bool forcePortable, int packetSize)
    {
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable);
        Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, forcePortable ? "1" : null);
        try
        {
            var config = new StreamConfig { MaxPacketSize = packetSize };
            var heaps = new List<Heap>();
            for (int i = 0; i < 6; i++)
            {
                var heap = new Heap();
                var data = new byte[30_000 + 1000 * i];
                new Random(i).NextBytes(data);
                heap.AddImmediate(0x1600, i);
                heap.AddItem(0x1601, data);
                heaps.Add(heap);
            }
            var expected = new List<byte[]>();
            var buffer = new byte[packetSize];
            for (int i = 0; i < heaps.Count; i++)
            {
                var gen = new Packetizer(heaps[i], 100 + i, packetSize);
                while (gen.HasNextPacket)
                    expected.Add(buffer.AsSpan(0, gen.NextPacket(buffer)).ToArray());
            }

            using (var stream = new UdpStream([(IPEndPoint)_receiver.LocalEndPoint!], config))
            {
                for (int i = 0; i < heaps.Count; i++)
                    Assert.Equal(PacketBytes(heaps[i], packetSize), stream.SendHeap(heaps[i], 100 + i));
            }

            var receive = new byte[70_000];
            for (int i = 0; i < expected.Count; i++)
            {
                int n = _receiver.Receive(receive);
                Assert.True(expected[i].AsSpan().SequenceEqual(receive.AsSpan(0, n)), $"datagram {i} of {expected.Count} differs");
            }
            Assert.False(_receiver.Poll(50_000, SelectMode.SelectRead), "extra datagrams");
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, old);
        }
    }

    /// <summary>
    /// Large packets take the zero-copy writer path (headers in the batch scratch, payload pinned in the
    /// heaps): interleaved groups, padding-only heaps and items in every kind of memory must give exactly
    /// the byte stream the copying BytesStream gives for the same calls.
    /// </summary>
    [Theory]
    [InlineData(8192, false)]
    [InlineData(8192, true)]
    [InlineData(1472, false)]
    public void GroupsAndItemKindsMatchBytesStream(int packetSize, bool forcePortable)
    {
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable);
        Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, forcePortable ? "1" : null);
        try
        {
            Assert.Equal(packetSize >= HeapBatching.GatherMinPacketSize, HeapBatching.PreferGather(packetSize));
            var config = new StreamConfig { MaxPacketSize = packetSize, MaxHeaps = 16 };
            var start = new Heap();
            start.AddStart();
            var heaps = new List<Heap>();
            for (int i = 0; i < 3; i++)
            {
                var heap = new Heap();
                var data = new byte[20_000 + 3000 * i];
                new Random(10 + i).NextBytes(data);
                heap.AddImmediate(0x1600, i);
                heap.AddItem(0x1601, data.AsMemory(7));
                heap.AddItemCopy(0x1602, data.AsSpan(0, 500));
                heap.AddItem<float>(0x1603, new float[300]);
                heap.AddDescriptor(new Descriptor(0x1601, "data", "bytes", [data.Length - 7], "|u1"));
                heaps.Add(heap);
            }
            var stop = new Heap();
            stop.AddEnd();
            // Many items of 80 bytes: more pieces per packet than the gather batch has entries for.
            var many = new Heap();
            for (int i = 0; i < 300; i++)
            {
                var item = new byte[80];
                new Random(1000 + i).NextBytes(item);
                many.AddItem(0x2000 + i, item);
            }

            // Heaps below the zero-copy size are copied whole even on a stream that prefers gather lists: groups that
            // mix them with large heaps put both kinds of packet in one batch.
            var small = new List<Heap>();
            foreach (int length in new[] { 1024, HeapBatching.GatherMinPacketSize - 1, HeapBatching.GatherMinPacketSize })
            {
                Assert.Equal(length >= HeapBatching.GatherMinPacketSize, HeapBatching.GatherHeap(length));
                var heap = new Heap();
                var data = new byte[length];
                new Random(length).NextBytes(data);
                heap.AddItem(0x1700, data);
                small.Add(heap);
            }

            byte[] expected;
            using (var bytes = new BytesStream(config))
            {
                Send(bytes);
                expected = bytes.GetValue();
            }
            using (var stream = new UdpStream([(IPEndPoint)_receiver.LocalEndPoint!], config))
            {
                Send(stream);
            }

            var got = new MemoryStream();
            var receive = new byte[70_000];
            while (got.Length < expected.Length)
            {
                int n = _receiver.Receive(receive);
                got.Write(receive, 0, n);
            }
            Assert.True(expected.AsSpan().SequenceEqual(got.ToArray()), "the datagrams differ from the byte stream");
            Assert.False(_receiver.Poll(50_000, SelectMode.SelectRead), "extra datagrams");

            void Send(SendStream s)
            {
                s.SendHeap(start, 1);
                s.SendHeaps([new HeapReference(heaps[0], 2), new HeapReference(heaps[1], 3), new HeapReference(heaps[2], 4)], GroupMode.RoundRobin);
                s.SendHeaps([new HeapReference(heaps[2], 5), new HeapReference(heaps[0], 6)], GroupMode.Serial);
                s.SendHeap(many, 7);
                s.SendHeaps([new HeapReference(small[0], 8), new HeapReference(heaps[1], 9), new HeapReference(small[1], 10), new HeapReference(small[2], 11)],
                    GroupMode.RoundRobin);
                s.SendHeap(small[0], 12);
                s.SendHeap(stop, 13);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, old);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OversizedPacketFailsItsHeapWithIOException(bool forcePortable)
    {
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable);
        Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, forcePortable ? "1" : null);
        try
        {
            // As spead2's test_send_error: a packet size the socket cannot send.
            await using var stream = new UdpStream([(IPEndPoint)_receiver.LocalEndPoint!], new StreamConfig { MaxPacketSize = 100_000 });
            var big = new Heap();
            big.AddItem(0x1601, new byte[90_000]);
            var ex = await Assert.ThrowsAsync<IOException>(async () => await stream.SendHeapAsync(big));
            var socketError = Assert.IsType<SocketException>(ex.InnerException);
            Assert.Equal(SocketError.MessageSize, socketError.SocketErrorCode);

            // The stream goes on: a small heap still gets through.
            var small = new Heap();
            small.AddItem(0x1601, new byte[100]);
            Assert.True(await stream.SendHeapAsync(small) > 100);
            var receive = new byte[70_000];
            int n = _receiver.Receive(receive);
            Assert.True(n > 100);
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, old);
        }
    }
}
