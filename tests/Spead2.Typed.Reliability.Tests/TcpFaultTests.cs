using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

/// <summary>
/// A TCP receiver that goes away in the middle of a heap: the heap being sent and every later one fault with an
/// <see cref="IOException"/>, nothing hangs, disposal returns, and a new stream to a new receiver works.
/// </summary>
public class TcpFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const int HeapSize = 4 << 20;

    /// <summary>A listener with small socket buffers, so a 4 MiB heap cannot fit in the kernel's buffers.</summary>
    private static TcpListener SmallBufferListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 64 * 1024; // inherited by the accepted socket, caps the window
        listener.Start();
        return listener;
    }

    [Theory]
    [InlineData(true)]  // linger 0: the close sends RST
    [InlineData(false)] // plain close: data is left unread, so the kernel aborts the connection as well
    public async Task ReceiverGoingAwayMidHeapFaultsThatHeapAndLaterOnes(bool reset)
    {
        using var listener = SmallBufferListener();
        Task<Socket> accept = listener.AcceptSocketAsync();
        var config = new StreamConfig { MaxPacketSize = 9000, MaxHeaps = 8 };
        TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint, config, bufferSize: 64 * 1024).WaitAsync(Patience);
        var watch = Stopwatch.StartNew();
        try
        {
            using Socket peer = await accept.WaitAsync(Patience);
            var tasks = new List<Task<long>>();
            for (int i = 0; i < 6; i++)
            {
                tasks.Add(stream.SendHeapAsync(LoadHeap.Create(HeapSize, 1, i)).AsTask());
            }
            // Read part of heap 0, then go away.
            var buffer = new byte[64 * 1024];
            int read = 0;
            while (read < 256 * 1024)
            {
                int n = await peer.ReceiveAsync(buffer.AsMemory(0, Math.Min(buffer.Length, 256 * 1024 - read)), SocketFlags.None).AsTask().WaitAsync(Patience);
                Assert.NotEqual(0, n);
                read += n;
            }
            if (reset)
            {
                peer.LingerState = new LingerOption(true, 0);
            }
            peer.Close();

            // Every task finishes (no hang); heap 0 was cut short, so it and all after it fault with IOException.
            await Task.WhenAny(Task.WhenAll(tasks)).WaitAsync(Patience);
            Assert.All(tasks, t => Assert.True(t.IsCompleted));
            for (int i = 0; i < tasks.Count; i++)
            {
                Assert.True(tasks[i].IsFaulted, $"heap {i} was reported sent although the receiver left during heap 0");
                Assert.IsAssignableFrom<IOException>(tasks[i].Exception!.InnerException);
            }
            // Later sends fail at once, both ways, with the same kind of error.
            await Assert.ThrowsAnyAsync<IOException>(() => stream.SendHeapAsync(LoadHeap.Create(100, 1, 6)).AsTask().WaitAsync(Patience));
            Assert.ThrowsAny<IOException>(() => stream.SendHeap(LoadHeap.Create(100, 1, 7)));
            IOException first = (IOException)tasks[0].Exception!.InnerException!;
            output.WriteLine($"{(reset ? "RST" : "close")} after {read} B of heap 0: 6 queued heaps + 2 later sends all faulted with IOException " +
                $"(\"{first.Message}\") in {watch.Elapsed.TotalSeconds:F2} s");
        }
        finally
        {
            // Disposal returns even though the connection is broken.
            await Task.Run(stream.Dispose).WaitAsync(Patience);
        }
        Assert.Throws<ObjectDisposedException>(() => stream.SendHeap(LoadHeap.Create(10, 1, 0)));

        // A new stream to a new receiver works.
        await ReconnectAndSendAsync(20);
    }

    /// <summary>
    /// A receiver that stops reading without closing blocks the writer (TCP back-pressure); Dispose, called from
    /// another thread meanwhile, waits, and returns as soon as the receiver goes away, with every heap completed.
    /// </summary>
    [Fact]
    public async Task DisposeBlockedByAStalledReceiverReturnsWhenItLeaves()
    {
        using var listener = SmallBufferListener();
        Task<Socket> accept = listener.AcceptSocketAsync();
        TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint,
            new StreamConfig { MaxPacketSize = 9000, MaxHeaps = 4 }, bufferSize: 64 * 1024).WaitAsync(Patience);
        using Socket peer = await accept.WaitAsync(Patience);
        var tasks = Enumerable.Range(0, 4).Select(i => stream.SendHeapAsync(LoadHeap.Create(HeapSize, 1, i)).AsTask()).ToList();
        Task disposing = Task.Run(stream.Dispose);
        await Task.Delay(500);
        Assert.False(disposing.IsCompleted, "Dispose returned while heaps were still being written to a stalled receiver");
        Assert.False(tasks[0].IsCompleted);

        peer.LingerState = new LingerOption(true, 0);
        peer.Close();
        await disposing.WaitAsync(Patience);
        // Completions run their continuations asynchronously, so a Task wrapping a heap's ValueTask may finish a
        // moment after Dispose returned: wait (boundedly) for all of them rather than sample IsCompleted.
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(Patience));
        Assert.All(tasks, t => Assert.True(t.IsCompleted));
        Assert.IsAssignableFrom<IOException>(tasks[0].Exception!.InnerException);
        output.WriteLine($"stalled receiver: Dispose waited, then returned after the reset; heap faults: {tasks.Count(t => t.IsFaulted)} of {tasks.Count}");
    }

    /// <summary>Many connect / reset / dispose cycles: every cycle ends, and the last connection still works.</summary>
    [Fact]
    public async Task RepeatedResetsNeverHang()
    {
        int cycles = 20, faulted = 0, sent = 0;
        for (int c = 0; c < cycles; c++)
        {
            using var listener = SmallBufferListener();
            Task<Socket> accept = listener.AcceptSocketAsync();
            TcpStream stream = await TcpStream.ConnectAsync((IPEndPoint)listener.LocalEndpoint,
                new StreamConfig { MaxPacketSize = 9000, MaxHeaps = 4 }, bufferSize: 64 * 1024).WaitAsync(Patience);
            var tasks = new List<Task<long>>();
            using (Socket peer = await accept.WaitAsync(Patience))
            {
                for (int i = 0; i < 4; i++)
                {
                    tasks.Add(stream.SendHeapAsync(LoadHeap.Create(256 * 1024, 1, i)).AsTask());
                }
                // Vary the moment of the reset: sometimes at once, sometimes after some bytes.
                if (c % 2 == 1)
                {
                    var buffer = new byte[c * 4096];
                    await peer.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Patience);
                }
                peer.LingerState = new LingerOption(true, 0);
            }
            await Task.WhenAny(Task.WhenAll(tasks)).WaitAsync(Patience);
            faulted += tasks.Count(t => t.IsFaulted);
            sent += tasks.Count(t => t.IsCompletedSuccessfully);
            Assert.All(tasks, t => Assert.True(t.IsCompletedSuccessfully || t.Exception!.InnerException is IOException));
            // Once one heap failed, every later one failed too.
            int firstFailure = tasks.FindIndex(t => t.IsFaulted);
            if (firstFailure >= 0)
            {
                Assert.All(tasks.Skip(firstFailure), t => Assert.True(t.IsFaulted));
            }
            await stream.DisposeAsync().AsTask().WaitAsync(Patience);
        }
        output.WriteLine($"{cycles} reset cycles: {faulted} heaps faulted with IOException, {sent} completed before the reset was seen; every task and Dispose returned");
        await ReconnectAndSendAsync(10);
    }

    private async Task ReconnectAndSendAsync(int heaps)
    {
        using var cts = new CancellationTokenSource(Patience);
        await using var receiver = new ReceiveStream();
        TcpReader reader = receiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var tally = new Tally([1]);
        Task consume = Task.Run(() => Tally.ConsumeAsync(receiver, tally, cts.Token));
        await using (TcpStream stream = await TcpStream.ConnectAsync(reader.LocalEndPoint, new StreamConfig { MaxPacketSize = 9000, MaxHeaps = 4 }))
        {
            await Senders.SendSequenceAsync(stream, 1, heaps, 100_000, 4).WaitAsync(cts.Token);
        }
        await consume.WaitAsync(cts.Token);
        tally.AssertComplete(heaps);
        output.WriteLine($"reconnected: {heaps} heaps of 100000 B sent and received intact on a new connection");
    }
}
