using CsCheck;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using Xunit.Abstractions;

namespace Spead2.Tests.Recv;

/// <summary>
/// A mutation fuzzer on CsCheck over a corpus of real packets (every flavour, bug-compat mix,
/// packet sizes, descriptors): mutated packets go through the decoder, the assembler, the TCP
/// framer, descriptor decoding and ItemGroup updates. Nothing may throw out, memory held by the
/// assembler stays within its bound, and the counters add up. Cases are generated data, so a
/// failure is shrunk to a small case and printed with a seed that replays it (seed: or CsCheck_Seed).
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{

    private static List<(Flavour Flavour, byte[] Packet)> Corpus()
    {
        var corpus = new List<(Flavour, byte[])>();
        // Drawn from the schema generators with a fixed PCG stream, so the corpus is the same on every run
        // and a fuzz case's seed replays the same packets.
        var pcg = new PCG(11, 11);
        T Draw<T>(Gen<T> gen) => gen.Generate(pcg, null, out _);
        int[] sizes = [64, 200, 1472];
        foreach (int hab in RandomSchema.Habs)
        {
            for (int bug = 0; bug < 8; bug += 3)
            {
                var flavour = new Flavour(heapAddressBits: hab, bugCompat: (BugCompat)bug);
                var sender = new SendItemGroup(flavour: flavour);
                long firstId = Math.Min(flavour.MaxItemId, flavour.MaxHeapAddress) < 0x1100 ? 0x20 : 0x1000;
                int items = hab == 8 ? 1 : 3;
                for (int i = 0; i < items; i++)
                {
                    var item = Draw(RandomSchema.Item(firstId + i, "i" + i, hab == 8 ? 4 : 16));
                    item.Value = Draw(RandomSchema.Value(item));
                    sender.Add(item);
                }
                int size = sizes[Draw(Gen.Int[0, sizes.Length - 1])];
                var heaps = hab == 8
                    ? new[] { sender.GetHeap(data: HeapContents.None), sender.GetHeap(descriptors: HeapContents.None) }
                    : new[] { sender.GetStart(), sender.GetHeap(), sender.GetEnd() };
                long cnt = 1;
                foreach (var heap in heaps)
                {
                    var gen = new Packetizer(heap, cnt++, size);
                    var buffer = new byte[size];
                    while (gen.HasNextPacket)
                        corpus.Add((flavour, buffer.AsSpan(0, gen.NextPacket(buffer)).ToArray()));
                }
                // The descriptor sub-packets themselves are packets too.
                foreach (var item in sender)
                    corpus.Add((flavour, item.ToRaw(flavour)));
            }
        }
        return corpus;
    }

    private static readonly List<(Flavour Flavour, byte[] Packet)> CorpusPackets = Corpus();
    private static readonly byte[][] CorpusBytes = [.. CorpusPackets.Select(c => c.Packet)];

    /// <summary>A corpus packet, as it is (a quarter of the time) or with one to three mutations.</summary>
    private static readonly Gen<(int Packet, Mutation[] Mutations)> GenPacket = Gen.Select(
        Gen.Int[0, CorpusPackets.Count - 1],
        Gen.Frequency((1, Gen.Const(Array.Empty<Mutation>())), (3, PacketMutations.OfPacket.Array[1, 3])));

    private static byte[] Build((int Packet, Mutation[] Mutations) spec)
    {
        var packet = CorpusBytes[spec.Packet];
        foreach (var m in spec.Mutations)
            packet = PacketMutations.Apply(packet, m, CorpusBytes);
        return packet;
    }

    /// <summary>An assembler configuration (flavour from a corpus packet) and the packets fed to one assembler.</summary>
    private sealed record AssemblerCase(ReceiveStreamConfig Config, (int Packet, Mutation[] Mutations)[] Packets)
    {
        public override string ToString() =>
            $"config {{OutOfOrder {Config.AllowOutOfOrder}, Incomplete {Config.DeliverIncompleteHeaps}, MaxHeaps {Config.MaxHeaps}, Substreams {Config.Substreams}, " +
            $"MaxHeapSize {Config.MaxHeapSize}, MaxHeapPointers {Config.MaxHeapPointers}, StopOnStopItem {Config.StopOnStopItem}, {Config.BugCompat}}}, packets: " +
            string.Join(" | ", Packets.Select(p => Convert.ToHexString(Build(p))));
    }

    private static readonly Gen<ReceiveStreamConfig> GenConfig = Gen.Select(
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Int[1, 5], Gen.Int[1, 3]),
        Gen.Select(Gen.Int[8, 19], Gen.Bool, Gen.Int[0, 3], Gen.Int[0, CorpusPackets.Count - 1]),
        (a, b) => new ReceiveStreamConfig
        {
            AllowOutOfOrder = a.Item1,
            DeliverIncompleteHeaps = a.Item2,
            MaxHeaps = a.Item3,
            Substreams = a.Item4,
            MaxHeapSize = 1 << b.Item1,
            MaxHeapPointers = b.Item2 ? 64 : ReceiveStreamConfig.DefaultMaxHeapPointers,
            StopOnStopItem = b.Item3 != 0,
            BugCompat = CorpusPackets[b.Item4].Flavour.BugCompat,
        });

    private static readonly Gen<AssemblerCase> GenAssemblerCase =
        Gen.Select(GenConfig, GenPacket.Array[1, 120], (config, packets) => new AssemblerCase(config, packets));

    [Fact]
    [Trait("Category", "Slow")]
    public void MutatedPacketsNeverEscapeTheReceiver()
    {
        long packets = 0, malformed = 0, delivered = 0, updateErrors = 0;
        GenAssemblerCase.Sample(c =>
        {
            var (m, d, u) = Assemble(c);
            Interlocked.Add(ref packets, c.Packets.Length);
            Interlocked.Add(ref malformed, m);
            Interlocked.Add(ref delivered, d);
            Interlocked.Add(ref updateErrors, u);
        }, iter: 1500, print: c => c.ToString());
        output.WriteLine($"{packets} packets from a corpus of {CorpusPackets.Count}: " +
                         $"{malformed} malformed, {delivered} heaps delivered, {updateErrors} descriptor/value errors reported");
        Assert.True(delivered > 0, "the fuzzer never produced a heap: the corpus or the mutations are broken");
        Assert.True(malformed > 0, "no mutated packet was malformed: the mutations do nothing");
    }

    /// <summary>Feeds one case to a fresh assembler; nothing may escape, memory stays bounded, counters add up.</summary>
    private static (int Malformed, int Delivered, int UpdateErrors) Assemble(AssemblerCase c)
    {
        var config = c.Config;
        var assembler = new HeapAssembler(config);
        var ready = new List<ReceivedHeap>();
        var group = new ItemGroup();
        int malformed = 0, delivered = 0, updateErrors = 0;
        foreach (var spec in c.Packets)
        {
            if (assembler.IsStopped)
                break;
            var before = assembler.Statistics;
            var status = assembler.AddPacket(Build(spec), ready);
            var after = assembler.Statistics;
            if (status != PacketStatus.Ok)
            {
                malformed++;
                Assert.Equal(before.MalformedPackets + 1, after.MalformedPackets);
            }
            Assert.True(assembler.BufferedBytes <= (long)config.MaxHeaps * config.Substreams * 2 * Math.Max(config.MaxHeapSize, 4096),
                $"{assembler.BufferedBytes} bytes held");
            foreach (var heap in ready)
            {
                delivered++;
                var update = group.Update(heap);     // hostile descriptors and values: reported, never thrown
                updateErrors += update.Errors.Count;
                foreach (var d in heap.GetRawDescriptors())
                {
                    try
                    {
                        d.ToDescriptor(config.BugCompat);
                    }
                    catch (InvalidDataException)
                    {
                    }
                }
                heap.Dispose();
            }
            ready.Clear();
        }
        return (malformed, delivered, updateErrors);
    }

    /// <summary>A byte stream of corpus packets (a third of them mutated) cut into reads of generated sizes.</summary>
    private static readonly Gen<(byte[][] Packets, bool SmallFramer, int[] Reads)> GenByteStream = Gen.Select(
        Gen.Select(Gen.Int[0, CorpusPackets.Count - 1], Gen.Frequency((2, Gen.Const(Array.Empty<Mutation>())), (1, PacketMutations.OfPacket.Array[1, 3])))
            .Select(Build).Array[1, 39],
        Gen.Bool,
        Gen.Int[1, 3999].Array[1, 16]);

    [Fact]
    [Trait("Category", "Slow")]
    public void MutatedByteStreamsThroughTheTcpFramer()
    {
        long streams = 0, bytesFed = 0;
        GenByteStream.Sample(c =>
        {
            var (packets, smallFramer, reads) = c;
            var bytes = packets.SelectMany(p => p).ToArray();
            var assembler = new HeapAssembler(new ReceiveStreamConfig { MaxHeapSize = 1 << 16, StopOnStopItem = false });
            var framer = new PacketFramer(smallFramer ? 512 : 9000);
            var ready = new List<ReceivedHeap>();
            for (int offset = 0, read = 0; offset < bytes.Length; read++)
            {
                var space = framer.GetReceiveSpace();
                Assert.False(space.IsEmpty);
                int n = Math.Min(Math.Min(space.Length, bytes.Length - offset), reads[read % reads.Length]);
                bytes.AsSpan(offset, n).CopyTo(space.Span);
                framer.Process(n, assembler, ready);
                offset += n;
            }
            // Every byte fed was handed on as a packet, skipped, or is still buffered.
            Assert.Equal(bytes.Length, framer.FramedBytes + assembler.Statistics.SkippedBytes + framer.Buffered);
            foreach (var heap in ready)
                heap.Dispose();
            Interlocked.Add(ref bytesFed, bytes.Length);
            Interlocked.Increment(ref streams);
        }, iter: 400, print: c => string.Join(" | ", c.Packets.Select(Convert.ToHexString)) + $", framer {(c.SmallFramer ? 512 : 9000)}, reads {string.Join(",", c.Reads)}");
        output.WriteLine($"{streams} byte streams, {bytesFed} bytes through the framer");
    }
}
