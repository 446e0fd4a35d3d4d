using System.Net;
using System.Net.Sockets;
using Spead2.Send;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

public class TcpStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var ns = new NetworkStream(socket, ownsSocket: true);
        using var ms = new MemoryStream();
        await ns.CopyToAsync(ms);
        return ms.ToArray();
    }

    private static void CheckInOrder(byte[] data, int[] sizes)
    {
        var assembler = new RefHeapAssembler();
        RefReceiver.SplitStream(data).ForEach(assembler.Add);
        Assert.Equal(0, assembler.Incomplete);
        Assert.Equal(sizes.Length, assembler.Completed.Count);
        for (int i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(i + 1, assembler.Completed[i].Cnt);
            Assert.Equal(TestHeaps.Pattern(sizes[i], i), assembler.Completed[i].AddressedItem(0x1000));
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task EveryHeapArrivesIntactAndInOrder(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        Task<Socket> accept = listener.AcceptSocketAsync();
        int[] sizes = [.. Enumerable.Range(0, 60).Select(i => 1 + (i * 7919) % 200_000)];
        Task<byte[]> received;
        await using (TcpStream stream = await TcpStream.ConnectAsync(endpoint, new StreamConfig { MaxPacketSize = 9000, MaxHeaps = 8 }))
        {
            received = ReadToEndAsync(await accept);
            Assert.Equal(endpoint, stream.RemoteEndPoint);
            Assert.Equal(1, stream.NumSubstreams);
            var pending = new List<Task<long>>();
            for (int i = 0; i < sizes.Length; i++)
            {
                pending.Add(stream.SendHeapAsync(TestHeaps.HeapOf(sizes[i], i)).AsTask());
                if (pending.Count == 8)
                {
                    await pending[0];
                    pending.RemoveAt(0);
                }
            }
            await Task.WhenAll(pending);
        }
        // Disposing the stream closed the connection, so the reader sees the end.
        CheckInOrder(await received.WaitAsync(Patience), sizes);
    }

    [Fact]
    public async Task AConnectedSocketIsDuplicated()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task<Socket> accept = listener.AcceptSocketAsync();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener.LocalEndpoint);
        Task<byte[]> received = ReadToEndAsync(await accept);
        var stream = new TcpStream(socket, new StreamConfig { MaxPacketSize = 4096 });
        socket.Dispose(); // the stream has its own descriptor
        stream.SendHeap(TestHeaps.HeapOf(10_000, 0));
        stream.SendHeap(TestHeaps.HeapOf(20_000, 1));
        stream.Dispose();
        CheckInOrder(await received.WaitAsync(Patience), [10_000, 20_000]);
    }

    [Fact]
    public void SocketsThatAreNotConnectedTcpSocketsAreRejected()
    {
        using var unconnected = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Contains("connected", Assert.Throws<ArgumentException>(() => new TcpStream(unconnected)).Message);
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.Contains("stream", Assert.Throws<ArgumentException>(() => new TcpStream(udp)).Message);
    }

    [Fact]
    public async Task ConnectingToAClosedPortIsAnIOException()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        listener.Stop(); // nobody listens there any more
        await Assert.ThrowsAsync<IOException>(() => TcpStream.ConnectAsync(endpoint));
    }

    [Fact]
    public async Task HostNamesResolveAndInterfaceAddressBinds()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Task<Socket> accept = listener.AcceptSocketAsync();
        // The IPv4 interface address also makes "localhost" resolve to its IPv4 address.
        await using TcpStream stream = await TcpStream.ConnectAsync("localhost", port, interfaceAddress: IPAddress.Loopback);
        using Socket peer = await accept;
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)stream.LocalEndPoint!).Address);
    }

    [Theory]
    [InlineData(128 * 1024)] // about 90 packets: more than one batch
    [InlineData(1024)] // one packet
    public async Task AHeapCancelledWhileThePeerDoesNotReadFailsAtOnce(int heapSize)
    {
        // A sender loop on the stream's private pool: the completion thread sends the heaps its continuations queue,
        // and once the peer stops reading, that send waits. A cancelled heap must still fail at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 4 << 20; // room for many heaps before the peer's side is full
        listener.Start();
        Task<Socket> accept = listener.AcceptSocketAsync();
        TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint, new StreamConfig { MaxHeaps = 8 }, bufferSize: 4 << 20);
        Socket peer = await accept; // never reads
        Heap[] heaps = Enumerable.Range(0, 4).Select(i => TestHeaps.HeapOf(heapSize, i)).ToArray();
        int completed = 0;
        Task loop = Task.Run(async () =>
        {
            var inFlight = new Queue<ValueTask<long>>();
            for (int i = 0; i < 10_000_000; i++)
            {
                if (inFlight.Count == 4)
                {
                    await inFlight.Dequeue().ConfigureAwait(false);
                    Interlocked.Increment(ref completed);
                }
                inFlight.Enqueue(stream.SendHeapAsync(heaps[i % 4]));
            }
        });
        // Wait until the socket buffers are full: nothing has completed for half a second, after the first heaps have
        // (the loop's task may start late on a busy machine).
        var deadline = DateTime.UtcNow + Patience;
        var started = DateTime.UtcNow;
        while (Volatile.Read(ref completed) == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        var firstAfter = DateTime.UtcNow - started;
        int seen = -1;
        while (Volatile.Read(ref completed) != seen && DateTime.UtcNow < deadline)
        {
            seen = Volatile.Read(ref completed);
            await Task.Delay(500);
        }
        Assert.True(seen >= 8, $"only {seen} heaps were sent before the peer's buffers filled (the first after {firstAfter.TotalMilliseconds:0} ms)");
        Assert.False(loop.IsCompleted);

        using var cts = new CancellationTokenSource();
        ValueTask<long> cancelled = stream.SendHeapAsync(TestHeaps.HeapOf(1000, 9), cancellationToken: cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));

        // The peer goes away with a reset: the stuck heaps fail and the stream can be disposed.
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        await Assert.ThrowsAsync<IOException>(() => loop.WaitAsync(Patience));
        await stream.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task WhenThePeerGoesAwayPendingAndLaterHeapsFailAndNothingHangs()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task<Socket> accept = listener.AcceptSocketAsync();
        TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint, new StreamConfig { MaxPacketSize = 9000 }, bufferSize: 64 * 1024);
        using (Socket peer = await accept)
        {
            peer.LingerState = new LingerOption(true, 0); // close with a reset
        }

        // Heaps sent before the reset reaches us may still be accepted by the kernel; keep sending until one fails.
        IOException? failure = null;
        for (int i = 0; i < 200 && failure is null; i++)
        {
            try
            {
                await stream.SendHeapAsync(TestHeaps.HeapOf(65536, i)).AsTask().WaitAsync(Patience);
            }
            catch (IOException e)
            {
                failure = e;
            }
        }
        Assert.NotNull(failure);
        Assert.Contains("TCP connection", failure.Message);

        // Every later heap fails at once with the same kind of error.
        var later = Enumerable.Range(0, 3).Select(i => stream.SendHeapAsync(TestHeaps.HeapOf(100, i)).AsTask()).ToList();
        foreach (Task<long> t in later)
        {
            await Assert.ThrowsAsync<IOException>(() => t.WaitAsync(Patience));
        }
        await stream.DisposeAsync().AsTask().WaitAsync(Patience);
    }
}
