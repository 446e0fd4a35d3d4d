using System.Net;
using System.Net.Sockets;
using Spead2.Send;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

/// <summary>
/// TcpStream with large packets writes gather lists straight from the heaps; the byte stream must equal
/// BytesStream's for the same calls, on the fast path and the portable one, and for small packets
/// (copied, one write per batch) too.
/// </summary>
[Collection(NativeSendCollection.Name)]
public sealed class TcpStreamFastPathTests
{
    [Theory]
    [InlineData(8192, false)]
    [InlineData(8192, true)]
    [InlineData(1472, false)]
    public async Task ByteStreamMatchesBytesStream(int packetSize, bool forcePortable)
    {
        string? old = Environment.GetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable);
        Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, forcePortable ? "1" : null);
        try
        {
            var config = new StreamConfig { MaxPacketSize = packetSize, MaxHeaps = 16 };
            var heaps = new List<Heap>();
            for (int i = 0; i < 4; i++)
            {
                var heap = new Heap();
                var data = new byte[50_000 + 7000 * i];
                new Random(20 + i).NextBytes(data);
                heap.AddImmediate(0x1600, i);
                heap.AddItem(0x1601, data.AsMemory(3));
                heap.AddItemCopy(0x1602, data.AsSpan(0, 300));
                heaps.Add(heap);
            }
            var start = new Heap();
            start.AddStart();

            byte[] expected;
            using (var bytes = new BytesStream(config))
            {
                Send(bytes);
                expected = bytes.GetValue();
            }

            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var accept = listener.AcceptAsync();
            var got = new MemoryStream();
            await using (var stream = await TcpStream.ConnectAsync(listener.LocalEndPoint!, config))
            {
                using var server = await accept;
                var reader = Task.Run(() =>
                {
                    var buffer = new byte[65536];
                    int n;
                    while ((n = server.Receive(buffer)) > 0)
                        got.Write(buffer, 0, n);
                });
                Send(stream);
                await stream.DisposeAsync();   // shuts the connection down: the reader sees the end
                await reader.WaitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.Equal(expected.Length, got.Length);
            Assert.True(expected.AsSpan().SequenceEqual(got.ToArray()), "the TCP byte stream differs from BytesStream's");

            void Send(SendStream s)
            {
                s.SendHeap(start, 1);
                s.SendHeaps([new HeapReference(heaps[0], 2), new HeapReference(heaps[1], 3)], GroupMode.RoundRobin);
                s.SendHeap(heaps[2], 4);
                s.SendHeap(heaps[3], 5);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(UdpBatchSender.PortableEnvironmentVariable, old);
        }
    }
}
