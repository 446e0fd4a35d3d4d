using System.Diagnostics;
using System.Net;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Many heaps from several concurrent senders through TCP and in-process queues: every heap must arrive once,
/// intact and in its sender's order. Counts scale with SPEAD2_LOAD_SCALE (see <see cref="Scale"/>).
/// </summary>
[Trait("Category", "Slow")]
public class LoadTests(ITestOutputHelper output)
{
    private const int SmallHeap = 64;
    private const int LargeHeap = 4 << 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public Task TcpSmallHeapsFromConcurrentSenders() =>
        RunTcpAsync("small", connections: 2, sendersPerConnection: 2, total: Scale.Count(1_000_000, 2_000), size: SmallHeap,
            maxPacketSize: 1472, maxHeaps: 64);

    [Fact]
    public Task TcpLargeHeapsFromConcurrentSenders() =>
        RunTcpAsync("4 MiB", connections: 2, sendersPerConnection: 2, total: Scale.Count(1_000, 8), size: LargeHeap,
            maxPacketSize: 65536, maxHeaps: 4);

    [Fact]
    public Task InprocSmallHeapsFromConcurrentSenders() =>
        RunInprocAsync("small", senders: 4, total: Scale.Count(1_000_000, 2_000), size: SmallHeap, maxPacketSize: 1472, maxHeaps: 32);

    [Fact]
    public Task InprocLargeHeapsFromConcurrentSenders() =>
        RunInprocAsync("4 MiB", senders: 4, total: Scale.Count(1_000, 8), size: LargeHeap, maxPacketSize: 65536, maxHeaps: 2);

    [Fact]
    public Task TcpSmallHeapsWithContinuationsOnTheWriterThread() =>
        RunTcpAsync("small, synchronous continuations", connections: 2, sendersPerConnection: 2, total: Scale.Count(1_000_000, 2_000),
            size: SmallHeap, maxPacketSize: 1472, maxHeaps: 64, synchronousContinuations: true);

    [Fact]
    public Task InprocLargeHeapsWithContinuationsOnTheWriterThread() =>
        RunInprocAsync("4 MiB, synchronous continuations", senders: 4, total: Scale.Count(200, 8), size: LargeHeap, maxPacketSize: 65536,
            maxHeaps: 2, synchronousContinuations: true);

    /// <summary>
    /// <paramref name="connections"/> TCP streams, each shared by <paramref name="sendersPerConnection"/> concurrent
    /// sending tasks (the stream is thread safe and keeps each caller's order), each connection read by its own
    /// receiver (a TCP reader accepts one sender).
    /// </summary>
    private async Task RunTcpAsync(string what, int connections, int sendersPerConnection, int total, int size, int maxPacketSize, int maxHeaps,
        bool synchronousContinuations = false)
    {
        int senders = connections * sendersPerConnection;
        long perSender = Math.Max(1, total / senders);
        using var cts = new CancellationTokenSource(Patience);
        var watch = Stopwatch.StartNew();
        var receivers = new List<ReceiveStream>();
        var tallies = new List<Tally>();
        var consumers = new List<Task>();
        var streams = new List<TcpStream>();
        try
        {
            for (int c = 0; c < connections; c++)
            {
                var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 16 });
                receivers.Add(receiver);
                TcpReader reader = receiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: maxPacketSize, bufferSize: 1 << 20);
                var tally = new Tally(Enumerable.Range(c * sendersPerConnection, sendersPerConnection));
                tallies.Add(tally);
                consumers.Add(Task.Run(() => Tally.ConsumeAsync(receiver, tally, cts.Token)));
                streams.Add(await TcpStream.ConnectAsync(reader.LocalEndPoint,
                    new StreamConfig { MaxPacketSize = maxPacketSize, MaxHeaps = maxHeaps, AllowSynchronousContinuations = synchronousContinuations },
                    bufferSize: 1 << 20, cancellationToken: cts.Token));
            }

            var sending = new List<Task<long>>();
            for (int c = 0; c < connections; c++)
            {
                TcpStream stream = streams[c];
                for (int s = 0; s < sendersPerConnection; s++)
                {
                    int sender = c * sendersPerConnection + s;
                    // Each task keeps at most its share of MaxHeaps in flight, so no heap is refused for a full queue.
                    sending.Add(Task.Run(() => Senders.SendSequenceAsync(stream, sender, perSender, size, Math.Max(1, maxHeaps / sendersPerConnection))));
                }
            }
            long[] sent = await Task.WhenAll(sending).WaitAsync(cts.Token);
            foreach (TcpStream stream in streams)
            {
                await stream.DisposeAsync().AsTask().WaitAsync(cts.Token); // closing the connection ends the receiver
            }
            streams.Clear();
            await Task.WhenAll(consumers).WaitAsync(cts.Token);

            long received = tallies.Sum(t => t.Heaps);
            output.WriteLine($"TCP {what}: {connections} connections x {sendersPerConnection} concurrent senders x {perSender} heaps of {size} B " +
                $"(scale {Scale.Load}): sent {perSender * senders} heaps / {sent.Sum()} B, received {received}, lost {perSender * senders - received}, " +
                $"corrupt {tallies.Sum(t => t.Corrupt)}, duplicates {tallies.Sum(t => t.Duplicates)}, in {watch.Elapsed.TotalSeconds:F1} s");
            foreach (Tally tally in tallies)
            {
                tally.AssertComplete(perSender);
            }
            foreach (ReceiveStream receiver in receivers)
            {
                ReceiveStatistics st = receiver.Statistics;
                Assert.Equal(0, st.MalformedPackets);
                Assert.Equal(0, st.IncompleteHeaps);
                Assert.Equal(0, st.RejectedPackets);
            }
        }
        finally
        {
            foreach (TcpStream stream in streams)
            {
                stream.Dispose();
            }
            foreach (ReceiveStream receiver in receivers)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// <paramref name="senders"/> in-process streams, each on its own task, writing into ONE queue read by one
    /// receiver. Their cnt sequences are kept apart with <see cref="SendStream.SetCntSequence"/> (sender s uses
    /// s+1, s+1+n, ...), which the receiver needs to tell their interleaved packets apart.
    /// </summary>
    private async Task RunInprocAsync(string what, int senders, int total, int size, int maxPacketSize, int maxHeaps,
        bool synchronousContinuations = false)
    {
        long perSender = Math.Max(1, total / senders);
        using var cts = new CancellationTokenSource(Patience);
        var watch = Stopwatch.StartNew();
        var queue = new InprocQueue();
        // Heap slots are taken round robin: with several senders interleaving multi-packet heaps, enough slots
        // that a heap is not pushed out while the others start new ones.
        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { MaxHeaps = 16 * senders, RingHeaps = 16 });
        receiver.AddInprocReader(queue);
        var tally = new Tally(Enumerable.Range(0, senders), (sender, sequence) => sender + 1 + sequence * senders);
        Task consumer = Task.Run(() => Tally.ConsumeAsync(receiver, tally, cts.Token));

        var streams = new List<InprocStream>();
        var sending = new List<Task<long>>();
        try
        {
            for (int s = 0; s < senders; s++)
            {
                var stream = new InprocStream(queue, new StreamConfig
                {
                    MaxPacketSize = maxPacketSize,
                    MaxHeaps = maxHeaps,
                    AllowSynchronousContinuations = synchronousContinuations,
                });
                stream.SetCntSequence(s + 1, senders);
                streams.Add(stream);
                int sender = s;
                sending.Add(Task.Run(() => Senders.SendSequenceAsync(stream, sender, perSender, size, maxHeaps)));
            }
            long[] sent = await Task.WhenAll(sending).WaitAsync(cts.Token);
            foreach (InprocStream stream in streams)
            {
                await stream.DisposeAsync();
            }
            streams.Clear();
            queue.Stop(); // the receiver ends once it has read everything
            await consumer.WaitAsync(cts.Token);

            output.WriteLine($"inproc {what}: {senders} concurrent streams x {perSender} heaps of {size} B into one queue " +
                $"(scale {Scale.Load}): sent {perSender * senders} heaps / {sent.Sum()} B, received {tally.Heaps}, " +
                $"lost {perSender * senders - tally.Heaps}, corrupt {tally.Corrupt}, duplicates {tally.Duplicates}, wrong cnt {tally.WrongCnt}, " +
                $"in {watch.Elapsed.TotalSeconds:F1} s");
            tally.AssertComplete(perSender);
            ReceiveStatistics st = receiver.Statistics;
            Assert.Equal(0, st.MalformedPackets);
            Assert.Equal(0, st.IncompleteHeaps);
            Assert.Equal(0, st.RejectedPackets);
        }
        finally
        {
            foreach (InprocStream stream in streams)
            {
                stream.Dispose();
            }
            queue.Stop();
        }
    }
}
