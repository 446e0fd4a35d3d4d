using System.Diagnostics;
using System.Net;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

/// <summary>
/// A bounded soak (SPEAD2_SOAK_SECONDS, 20 s by default): TCP and UDP senders at a set rate into receivers, with
/// managed memory, working set, threads and descriptors sampled every second. They must stay flat, and nothing
/// may be lost.
/// </summary>
[Trait("Category", "Slow")]
public class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MemoryHandlesAndThreadsStayFlatAtASteadyRate()
    {
        int seconds = Scale.SoakSeconds;
        const double tcpRate = 40e6, udpRate = 4e6;
        const int tcpHeap = 64 * 1024, udpHeap = 8 * 1024;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 60));

        await using var tcpReceiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 16 });
        TcpReader tcpReader = tcpReceiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        await using var udpReceiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        UdpReader udpReader = udpReceiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var tcpTally = new Tally([1]);
        var udpTally = new Tally([2]);
        Task tcpConsumer = Task.Run(() => Tally.ConsumeAsync(tcpReceiver, tcpTally, cts.Token));
        Task udpConsumer = Task.Run(() => Tally.ConsumeAsync(udpReceiver, udpTally, cts.Token));

        TcpStream tcp = await TcpStream.ConnectAsync(tcpReader.LocalEndPoint, new StreamConfig { MaxPacketSize = 8192, Rate = tcpRate, MaxHeaps = 8 });
        var udp = new UdpStream("127.0.0.1", udpReader.LocalEndPoint.Port, new StreamConfig { Rate = udpRate, MaxHeaps = 8 });
        using var stop = new CancellationTokenSource();
        Task<long> tcpSending = Task.Run(() => SendUntilAsync(tcp, 1, tcpHeap, stop.Token));
        Task<long> udpSending = Task.Run(() => SendUntilAsync(udp, 2, udpHeap, stop.Token));

        var samples = new List<(double T, ResourceCounts Counts)>();
        var watch = Stopwatch.StartNew();
        for (int s = 1; s <= seconds; s++)
        {
            await Task.Delay(TimeSpan.FromSeconds(s) - watch.Elapsed > TimeSpan.Zero ? TimeSpan.FromSeconds(s) - watch.Elapsed : TimeSpan.Zero);
            samples.Add((watch.Elapsed.TotalSeconds, ResourceCounts.Take()));
            Assert.False(tcpSending.IsFaulted || udpSending.IsFaulted, "a sender failed during the soak");
        }
        stop.Cancel();
        long tcpHeaps = await tcpSending.WaitAsync(cts.Token);
        long udpHeaps = await udpSending.WaitAsync(cts.Token);
        await tcp.DisposeAsync();
        udp.Dispose();
        await tcpConsumer.WaitAsync(cts.Token);
        // UDP has no end of stream: wait for the last heaps, then stop the receiver.
        var drain = Stopwatch.StartNew();
        while (udpTally.NextFrom(2) < udpHeaps && drain.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }
        udpReceiver.Stop();
        await udpConsumer.WaitAsync(cts.Token);

        foreach ((double t, ResourceCounts c) in samples)
        {
            output.WriteLine($"t={t,5:F1} s  {c}");
        }
        output.WriteLine($"soak {seconds} s: TCP {tcpHeaps} heaps of {tcpHeap} B at {tcpRate / 1e6} MB/s, received {tcpTally.Heaps}, lost {tcpHeaps - tcpTally.Heaps}; " +
            $"UDP {udpHeaps} heaps of {udpHeap} B at {udpRate / 1e6} MB/s, received {udpTally.Heaps}, lost {udpHeaps - udpTally.Heaps}");

        tcpTally.AssertComplete(tcpHeaps);
        udpTally.AssertComplete(udpHeaps);

        // Flat: after a warm-up third, the later samples stay within a tolerance of the early ones.
        var early = samples.Skip(samples.Count / 3).Take(Math.Max(1, samples.Count / 3)).Select(x => x.Counts).ToList();
        var late = samples.Skip(2 * samples.Count / 3).Select(x => x.Counts).ToList();
        // Managed memory: the smallest late sample against the largest early one. A leak only grows, so every late
        // sample shows it; a single sample can catch a burst of heaps in flight (4.6 MB once, in the last second of a
        // CI run, after 19 flat seconds), which is not growth.
        long managedEarly = early.Max(c => c.ManagedBytes), managedLate = late.Min(c => c.ManagedBytes);
        Assert.True(managedLate - managedEarly < 4 << 20, $"managed memory kept growing: {managedEarly / 1024} -> {managedLate / 1024} KiB");
        long wsEarly = early.Max(c => c.WorkingSet), wsLate = late.Max(c => c.WorkingSet);
        Assert.True(wsLate - wsEarly < 64 << 20, $"working set kept growing: {wsEarly >> 20} -> {wsLate >> 20} MiB");
        Assert.True(late.Max(c => c.Threads) <= early.Max(c => c.Threads) + 4, "thread count kept growing");
        Assert.True(late.Max(c => c.OpenHandles) <= early.Max(c => c.OpenHandles) + 1, "open sockets, pipes and anonymous inodes kept growing");
        Assert.True(late.Max(c => c.PinnedObjects) <= early.Max(c => c.PinnedObjects) + 8, "pinned objects kept growing");
    }

    private static async Task<long> SendUntilAsync(SendStream stream, int sender, int size, CancellationToken stop)
    {
        const int window = 8;
        var heaps = new Heap[window];
        var buffers = new byte[window][];
        var pending = new ValueTask<long>[window];
        for (int i = 0; i < window; i++)
        {
            heaps[i] = new Heap();
            buffers[i] = new byte[size];
        }
        long n = 0;
        for (; !stop.IsCancellationRequested; n++)
        {
            int slot = (int)(n % window);
            if (n >= window)
            {
                await pending[slot];
            }
            LoadHeap.Build(heaps[slot], buffers[slot], size, sender, n);
            pending[slot] = stream.SendHeapAsync(heaps[slot]);
        }
        for (long i = Math.Max(0, n - window); i < n; i++)
        {
            await pending[(int)(i % window)];
        }
        return n;
    }
}
