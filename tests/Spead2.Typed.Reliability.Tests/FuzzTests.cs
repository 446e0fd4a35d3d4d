using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CsCheck;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send.Engine;
using Spead2.TestSupport;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Hostile input to the receiver as a time-bounded CsCheck fuzz run over a seed corpus of real packets, plus the inputs
/// that once broke it (regressions). Nothing may crash, hang, fault the stream or grow memory without bound.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);
    private static readonly List<List<byte[]>> Corpus = Fuzzer.SeedCorpus();

    /// <summary>One fuzz input: a seed heap (a quarter of the time followed by a second one) with one to four mutations.</summary>
    private sealed record FuzzInput(int Seed, int Second, Mutation[] Mutations)
    {
        public List<byte[]> Packets()
        {
            var packets = new List<byte[]>(Corpus[Seed]);
            if (Second >= 0)
                packets.AddRange(Corpus[Second]);
            return PacketMutations.Apply(packets, Mutations);
        }
    }

    private static readonly Gen<FuzzInput> GenInput = Gen.Select(
        Gen.Int[0, Corpus.Count - 1],
        Gen.Frequency((3, Gen.Const(-1)), (1, Gen.Int[0, Corpus.Count - 1])),
        PacketMutations.OfSequence.Array[1, 4],
        (seed, second, mutations) => new FuzzInput(seed, second, mutations));

    private sealed record FuzzCase(FuzzInput Input, ReceiveStreamConfig Config, bool AsBuffer)
    {
        public override string ToString() =>
            $"{(AsBuffer ? "buffer" : "inproc")} reader, config {{MaxHeaps {Config.MaxHeaps}, OutOfOrder {Config.AllowOutOfOrder}, " +
            $"Unsized {Config.AllowUnsizedHeaps}, Incomplete {Config.DeliverIncompleteHeaps}, StopItem {Config.StopOnStopItem}, {Config.BugCompat}}}, " +
            $"mutations [{string.Join(", ", Input.Mutations.Select(m => m.ToString()))}], input: {Fuzzer.Hex(Input.Packets())}";
    }

    private static readonly Gen<FuzzCase> GenCase = Gen.Select(
        GenInput,
        Gen.Select(Gen.Int[1, 4], Gen.Bool, Gen.Int[0, 3], Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 3]),
        Gen.Bool,
        (input, c, asBuffer) => new FuzzCase(input, new ReceiveStreamConfig
        {
            MaxHeaps = c.Item1,
            MaxHeapSize = 1 << 20, // bounds what a lying HEAP_LENGTH can make the receiver hold
            AllowOutOfOrder = c.Item2,
            AllowUnsizedHeaps = c.Item3 != 0,
            DeliverIncompleteHeaps = c.Item4,
            StopOnStopItem = c.Item5 != 0,
            BugCompat = c.Item6 == 0 ? BugCompat.PySpead052 : BugCompat.None,
        }, asBuffer));

    /// <summary>
    /// Generated inputs (CsCheck) for SPEAD2_FUZZ_SECONDS: a failure is shrunk to a small input and reported with the
    /// seed that replays it (CsCheck_Seed), and can then be added to <see cref="Regressions"/>.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task MutatedPacketsNeverCrashTheReceiver()
    {
        ResourceCounts before = ResourceCounts.Take();
        var watch = Stopwatch.StartNew();

        // The seeds themselves first: they must all go through, each delivering its heap (a stop heap ends the
        // stream instead), which also shows that the harness sees what the receiver delivers.
        foreach (List<byte[]> s in Corpus)
        {
            var seedTotals = new FuzzTotals();
            Assert.Null(await Fuzzer.RunAsync(s, asBuffer: false, new ReceiveStreamConfig(), PerInput, seedTotals));
            Assert.True(seedTotals.HeapsConsumed == 1 || seedTotals.Packets == 1, $"a seed heap was not delivered: {seedTotals}");
            Assert.Equal(0, seedTotals.Malformed + seedTotals.Rejected);
        }
        var totals = new FuzzTotals();
        long inputs = 0, packets = 0;
        // One thread: the totals are plain counters, and the receiver under test has threads of its own.
        await GenCase.SampleAsync(async c =>
        {
            List<byte[]> input = c.Input.Packets();
            string? failure = await Fuzzer.RunAsync(input, c.AsBuffer, c.Config, PerInput, totals);
            Assert.True(failure is null, failure);
            inputs++;
            packets += input.Count;
        }, time: Scale.FuzzSeconds, threads: 1, print: c => c.ToString());
        ResourceCounts after = ResourceCounts.Take();
        output.WriteLine($"fuzz: {Corpus.Count} seed heaps, {inputs} mutated inputs ({packets} packets) in {watch.Elapsed.TotalSeconds:F1} s; " +
            $"{totals}; managed memory {before.ManagedBytes / 1024} -> {after.ManagedBytes / 1024} KiB");
        // The mutations must leave plenty of input that decodes and reaches assembly, or the loop tests little.
        Assert.True(totals.HeapsConsumed > inputs / 10 && totals.Packets > inputs, $"too little input got past decoding: {totals}");
        Assert.True(after.ManagedBytes - before.ManagedBytes < 32 << 20, "managed memory grew by more than 32 MiB over the fuzz run");
    }

    /// <summary>
    /// A TCP connection carrying a long stream of mutated packets (so framing is lost and found again): the reader
    /// survives to the end of the connection and the stream ends without a fault.
    /// </summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task AMutatedTcpByteStreamNeverCrashesTheReader()
    {
        long totalBytes = 0, heaps = 0, malformed = 0, skipped = 0, connections = 0;
        await GenInput.Array[300, 500].SampleAsync(async inputs =>
        {
            // The generated inputs, repeated until the connection carries at least 1 MiB.
            var data = new List<byte>();
            for (int i = 0; data.Count < 1 << 20; i++)
            {
                foreach (byte[] p in inputs[i % inputs.Length].Packets())
                {
                    data.AddRange(p);
                }
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using var receiver = new ReceiveStream(new ReceiveStreamConfig { MaxHeapSize = 1 << 20, StopOnStopItem = false });
            TcpReader reader = receiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
            var group = new ItemGroup();
            Task consume = Task.Run(async () =>
            {
                await foreach (ReceivedHeap heap in receiver.WithCancellation(cts.Token))
                {
                    using (heap)
                    {
                        Fuzzer.Consume(heap, group);
                    }
                }
                await receiver.Completion.WaitAsync(cts.Token);
            });
            using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await client.ConnectAsync(reader.LocalEndPoint, cts.Token);
                await client.SendAsync(data.ToArray(), SocketFlags.None, cts.Token);
                client.Shutdown(SocketShutdown.Send);
            }
            await consume.WaitAsync(cts.Token); // throws if the stream faulted or a heap could not be consumed
            ReceiveStatistics s = receiver.Statistics;
            totalBytes += data.Count;
            heaps += s.Heaps;
            malformed += s.MalformedPackets;
            skipped += s.SkippedBytes;
            connections++;
        }, iter: 3, threads: 1, print: inputs => string.Join(Environment.NewLine, inputs.Select(i => Fuzzer.Hex(i.Packets()))));
        output.WriteLine($"TCP byte-stream fuzz: {connections} connections, {totalBytes} B of mutated packets: {heaps} heaps delivered, " +
            $"{malformed} malformed packets counted, {skipped} B skipped to re-find framing; no fault");
        Assert.Equal(3, connections);
    }

    /// <summary>Inputs that are hostile by construction (and any the fuzz loop has found): each must be survived.</summary>
    [Theory]
    [MemberData(nameof(Regressions))]
    public async Task KnownHostileInputsAreSurvived(string name, string hex)
    {
        List<byte[]> input = Fuzzer.FromHex(hex);
        foreach (bool asBuffer in new[] { true, false })
        {
            foreach (bool incomplete in new[] { false, true })
            {
                string? failure = await Fuzzer.RunAsync(input, asBuffer,
                    new ReceiveStreamConfig { DeliverIncompleteHeaps = incomplete, AllowOutOfOrder = incomplete }, PerInput);
                Assert.True(failure is null, $"{name} ({(asBuffer ? "buffer" : "inproc")}): {failure}");
            }
        }
    }

    public static TheoryData<string, string> Regressions()
    {
        byte[] good = Fuzzer.Packets(LoadHeap.Create(100, 1, 0), 7, 1472)[0];
        var data = new TheoryData<string, string>();
        void Add(string name, Action<byte[]> patch)
        {
            byte[] p = (byte[])good.Clone();
            patch(p);
            data.Add(name, Convert.ToHexString(p));
        }
        // Item pointers of a heap from our generator: HEAP_CNT, HEAP_LENGTH, PAYLOAD_OFFSET, PAYLOAD_LENGTH first.
        Add("item count far past the packet end", p => { p[6] = 0xFF; p[7] = 0xFF; });
        Add("item count zero", p => { p[6] = 0; p[7] = 0; });
        Add("heap length 2^40-1", p => WritePointer(p, 1, 0x8000020000000000UL | 0xFFFFFFFFFFUL));
        Add("payload offset past the heap length", p => WritePointer(p, 2, 0x8000030000000000UL | 0xFFFFFFF000UL));
        Add("payload length larger than the packet", p => WritePointer(p, 3, 0x8000040000000000UL | 0x0FFFFFUL));
        Add("payload length zero", p => WritePointer(p, 3, 0x8000040000000000UL));
        Add("heap cnt pointer made addressed", p => WritePointer(p, 0, 0x0000010000000007UL));
        Add("addressed item past the heap end", p => WritePointer(p, 6, 0x0000000000000000UL | (0x1002UL << 40) | 0xFFFFFFFFUL));
        Add("address widths of zero", p => { p[2] = 0; p[3] = 0; });
        Add("address widths of eight bytes", p => { p[2] = 0; p[3] = 8; });
        Add("wrong version", p => p[1] = 3);
        data.Add("empty packet", "");
        data.Add("seven bytes", "53040305000000");
        data.Add("header only", "5304030500000000");
        data.Add("header claiming one pointer, none present", "5304030500000001");
        return data;
    }

    private static void WritePointer(byte[] packet, int index, ulong value) =>
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(8 + index * 8), value);
}
