using System.Buffers.Binary;
using System.Diagnostics;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Xunit.Abstractions;

namespace Spead2.Recv.Tests;

/// <summary>
/// A bounded mutation fuzzer over a corpus of real packets (every flavour, bug-compat mix,
/// packet sizes, descriptors): mutated packets go through the decoder, the assembler, the TCP
/// framer, descriptor decoding and ItemGroup updates. Nothing may throw out, memory held by the
/// assembler stays within its bound, and the counters add up.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    private const int MaxIterations = 20_000_000;

    private static List<(Flavour Flavour, byte[] Packet)> Corpus()
    {
        var corpus = new List<(Flavour, byte[])>();
        var r = new Random(11);
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
                    var item = RandomSchema.Item(r, firstId + i, "i" + i, hab == 8 ? 4 : 16);
                    item.Value = RandomSchema.Value(r, item);
                    sender.Add(item);
                }
                int size = sizes[r.Next(sizes.Length)];
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

    private static byte[] Mutate(Random r, byte[] packet, List<(Flavour, byte[] Packet)> corpus)
    {
        var p = (byte[])packet.Clone();
        int mutations = r.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            if (p.Length == 0)
                return [(byte)r.Next(256)];
            switch (r.Next(9))
            {
                case 0:     // flip a bit
                    p[r.Next(p.Length)] ^= (byte)(1 << r.Next(8));
                    break;
                case 1:     // set a byte
                    p[r.Next(p.Length)] = (byte)r.Next(256);
                    break;
                case 2:     // overwrite a pointer-aligned word with something interesting
                    {
                        int words = p.Length / 8;
                        if (words < 2)
                            break;
                        int w = r.Next(1, words);
                        ulong value = r.Next(5) switch
                        {
                            0 => ulong.MaxValue,
                            1 => (1UL << 63) | ((ulong)(uint)r.Next(1, 7) << (8 * (p[3] & 7))) | (ulong)r.NextInt64(),
                            2 => (ulong)r.NextInt64(),
                            3 => (1UL << 63) | ((ulong)(uint)r.Next(1, 5) << 40) | (uint)r.Next(0, 1 << 20),
                            _ => 0,
                        };
                        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8 * w), value);
                        break;
                    }
                case 3:     // truncate
                    Array.Resize(ref p, r.Next(p.Length));
                    break;
                case 4:     // append junk
                    {
                        int old = p.Length;
                        Array.Resize(ref p, old + r.Next(1, 32));
                        r.NextBytes(p.AsSpan(old));
                        break;
                    }
                case 5:     // lie about the pointer count
                    if (p.Length >= 8)
                        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)r.Next(0, 1 << 16));
                    break;
                case 6:     // change the flavour bytes
                    if (p.Length >= 4)
                    {
                        p[2] = (byte)r.Next(0, 9);
                        p[3] = (byte)(8 - p[2] + (r.Next(4) == 0 ? 1 : 0));
                    }
                    break;
                case 7:     // splice with another packet
                    {
                        var other = corpus[r.Next(corpus.Count)].Packet;
                        int cut = r.Next(p.Length + 1);
                        int from = r.Next(other.Length + 1);
                        p = p.AsSpan(0, cut).ToArray().Concat(other.AsSpan(from).ToArray()).ToArray();
                        break;
                    }
                default:    // duplicate a word (repeated pointers)
                    if (p.Length >= 16)
                    {
                        int w = r.Next(1, p.Length / 8);
                        var word = p.AsSpan(8 * w, 8).ToArray();
                        p = p.Concat(word).ToArray();
                    }
                    break;
            }
        }
        return p;
    }

    [Fact]
    public void MutatedPacketsNeverEscapeTheReceiver()
    {
        var corpus = Corpus();
        var r = new Random(12345);
        var clock = Stopwatch.StartNew();
        int iterations = 0, malformed = 0, delivered = 0, updateErrors = 0;
        HeapAssembler? assembler = null;
        ReceiveStreamConfig? config = null;
        var ready = new List<ReceivedHeap>();
        var group = new ItemGroup();
        while (iterations < MaxIterations && clock.Elapsed < Budget)
        {
            if (assembler is null || assembler.IsStopped || r.Next(2000) == 0)
            {
                var flavour = corpus[r.Next(corpus.Count)].Flavour;
                config = new ReceiveStreamConfig
                {
                    AllowOutOfOrder = r.Next(2) == 0,
                    DeliverIncompleteHeaps = r.Next(2) == 0,
                    MaxHeaps = r.Next(1, 6),
                    Substreams = r.Next(1, 4),
                    MaxHeapSize = 1 << r.Next(8, 20),
                    MaxHeapPointers = r.Next(2) == 0 ? 64 : ReceiveStreamConfig.DefaultMaxHeapPointers,
                    StopOnStopItem = r.Next(4) != 0,
                    BugCompat = flavour.BugCompat,
                };
                assembler = new HeapAssembler(config);
                group = new ItemGroup();
            }
            var (_, original) = corpus[r.Next(corpus.Count)];
            var packet = r.Next(4) == 0 ? original : Mutate(r, original, corpus);
            var before = assembler.Statistics;
            var status = assembler.AddPacket(packet, ready);
            var after = assembler.Statistics;
            if (status != PacketStatus.Ok)
            {
                malformed++;
                Assert.Equal(before.MalformedPackets + 1, after.MalformedPackets);
            }
            Assert.True(assembler.BufferedBytes <= (long)config!.MaxHeaps * config.Substreams * 2 * Math.Max(config.MaxHeapSize, 4096),
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
            iterations++;
        }
        output.WriteLine($"{iterations} packets in {clock.Elapsed.TotalSeconds:F1} s from a corpus of {corpus.Count}: " +
                         $"{malformed} malformed, {delivered} heaps delivered, {updateErrors} descriptor/value errors reported");
        Assert.True(iterations > 0);
        Assert.True(delivered > 0, "the fuzzer never produced a heap: the corpus or the mutations are broken");
    }

    [Fact]
    public void MutatedByteStreamsThroughTheTcpFramer()
    {
        var corpus = Corpus();
        var r = new Random(54321);
        var clock = Stopwatch.StartNew();
        int streams = 0;
        long bytesFed = 0;
        while (clock.Elapsed < Budget / 3)
        {
            var parts = new List<byte[]>();
            for (int i = r.Next(1, 40); i > 0; i--)
            {
                var packet = corpus[r.Next(corpus.Count)].Packet;
                parts.Add(r.Next(3) == 0 ? Mutate(r, packet, corpus) : packet);
            }
            var bytes = parts.SelectMany(p => p).ToArray();
            var assembler = new HeapAssembler(new ReceiveStreamConfig { MaxHeapSize = 1 << 16, StopOnStopItem = false });
            var framer = new PacketFramer(r.Next(2) == 0 ? 512 : 9000);
            var ready = new List<ReceivedHeap>();
            for (int offset = 0; offset < bytes.Length;)
            {
                var space = framer.GetReceiveSpace();
                Assert.False(space.IsEmpty);
                int n = Math.Min(Math.Min(space.Length, bytes.Length - offset), r.Next(1, 4000));
                bytes.AsSpan(offset, n).CopyTo(space.Span);
                framer.Process(n, assembler, ready);
                offset += n;
            }
            // Every byte fed was handed on as a packet, skipped, or is still buffered.
            Assert.Equal(bytes.Length, framer.FramedBytes + assembler.Statistics.SkippedBytes + framer.Buffered);
            foreach (var heap in ready)
                heap.Dispose();
            bytesFed += bytes.Length;
            streams++;
        }
        output.WriteLine($"{streams} byte streams, {bytesFed} bytes through the framer");
        Assert.True(streams > 0);
    }
}
