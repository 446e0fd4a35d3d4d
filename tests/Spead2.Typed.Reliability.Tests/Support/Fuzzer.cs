using System.Buffers.Binary;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Hostile input for the receiver: a seed corpus of real packets made by our sender, and mutations of them, fed
/// through the receiver's public readers. An input "crashes" if reading it throws anything to the consumer, faults
/// the stream, or does not end within a time bound.
/// </summary>
internal static class Fuzzer
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x04, 0x05, 0x53, 0x7F, 0x80, 0xFE, 0xFF];
    private static readonly ulong[] InterestingWords =
    [
        0, ulong.MaxValue, 1UL << 63, (1UL << 63) - 1, 1UL << 40, (1UL << 40) - 1, 0x8000000000000001UL, 0x8000020000000000UL,
        0x5304030500000000UL, 0x530403050000FFFFUL, 0x8000010000000000UL | 0xFFFFFFFFFFUL, 0x8000030000000000UL | 0xFFFFFFFFFFUL,
        0x8000040000000000UL | 0xFFFFFFFFFFUL, 0x0000050000000000UL | 0xFFFFFFFFFFUL,
    ];

    /// <summary>Heaps as our sender makes them: several sizes, flavours, descriptors, stream control.</summary>
    public static List<List<byte[]>> SeedCorpus()
    {
        var seeds = new List<List<byte[]>>();
        Flavour[] flavours = [Flavour.Default, new Flavour(4, 64, 48), new Flavour(4, 64, 24)];
        long cnt = 1;
        foreach (Flavour flavour in flavours)
        {
            foreach (int size in new[] { 0, 64, 1000, 5000 })
            {
                seeds.Add(Packets(LoadHeap.Create(size, 1, size, flavour), cnt++, 1472));
                seeds.Add(Packets(LoadHeap.Create(size, 2, size, flavour), cnt++, 256));
            }
            var described = new Heap(flavour);
            described.AddDescriptor(new Descriptor(0x1010, "samples", "some samples", [4, 3], "<u2"));
            described.AddDescriptor(new Descriptor(0x1011, "flags", "formatted", [Descriptor.VariableDimension], format: [new FormatField('u', 8), new FormatField('i', 16)]));
            described.AddDescriptor(new Descriptor(0x1012, "scalar", "a float", [], ">f8"));
            described.AddItem(0x1010, new byte[24], allowImmediate: false);
            described.AddItem(0x1011, new byte[9], allowImmediate: false);
            described.AddItem(0x1012, new byte[8]);
            seeds.Add(Packets(described, cnt++, 1472));
            seeds.Add(Packets(described, cnt++, 128));
            var start = new Heap(flavour);
            start.AddStart();
            seeds.Add(Packets(start, cnt++, 1472));
            var end = new Heap(flavour);
            end.AddEnd();
            seeds.Add(Packets(end, cnt++, 1472));
        }
        return seeds;
    }

    public static List<byte[]> Packets(Heap heap, long cnt, int maxPacketSize)
    {
        var generator = new Packetizer(heap, cnt, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        var packets = new List<byte[]>();
        while (generator.HasNextPacket)
        {
            packets.Add(buffer.AsSpan(0, generator.NextPacket(buffer)).ToArray());
        }
        return packets;
    }

    /// <summary>One to four random mutations of a copy of <paramref name="seed"/> (possibly followed by a second seed).</summary>
    public static List<byte[]> Mutate(Random random, List<List<byte[]>> corpus)
    {
        var packets = corpus[random.Next(corpus.Count)].Select(p => (byte[])p.Clone()).ToList();
        if (random.Next(4) == 0)
        {
            packets.AddRange(corpus[random.Next(corpus.Count)].Select(p => (byte[])p.Clone()));
        }
        int mutations = 1 + random.Next(4);
        for (int m = 0; m < mutations; m++)
        {
            if (packets.Count == 0)
            {
                packets.Add(RandomBytes(random, random.Next(64)));
            }
            int i = random.Next(packets.Count);
            byte[] p = packets[i];
            switch (random.Next(11))
            {
                case 0 when p.Length > 0:
                    p[random.Next(p.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when p.Length > 0:
                    p[random.Next(p.Length)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                    break;
                case 2 when p.Length >= 8:
                    {
                        // A header word or an item pointer replaced with an extreme value.
                        int word = random.Next(Math.Min(p.Length / 8, 12));
                        ulong value = random.Next(3) == 0 ? (ulong)random.NextInt64() : InterestingWords[random.Next(InterestingWords.Length)];
                        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(word * 8), value);
                        break;
                    }
                case 3:
                    packets[i] = p.AsSpan(0, random.Next(p.Length + 1)).ToArray();
                    break;
                case 4:
                    packets[i] = [.. p, .. RandomBytes(random, 1 + random.Next(32))];
                    break;
                case 5:
                    packets.RemoveAt(i);
                    break;
                case 6:
                    packets.Insert(random.Next(packets.Count + 1), (byte[])p.Clone());
                    break;
                case 7:
                    {
                        int j = random.Next(packets.Count);
                        (packets[i], packets[j]) = (packets[j], packets[i]);
                        break;
                    }
                case 8:
                    {
                        byte[] other = packets[random.Next(packets.Count)];
                        int cut = random.Next(p.Length + 1), from = random.Next(other.Length + 1);
                        packets[i] = [.. p.AsSpan(0, cut), .. other.AsSpan(from)];
                        break;
                    }
                case 9 when p.Length >= 8:
                    // The item count: anything from 0 to far past the packet's end.
                    BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)(random.Next(3) == 0 ? random.Next(65536) : random.Next(16)));
                    break;
                default:
                    packets.Insert(random.Next(packets.Count + 1), RandomBytes(random, random.Next(80)));
                    break;
            }
        }
        return packets;
    }

    private static byte[] RandomBytes(Random random, int n)
    {
        var bytes = new byte[n];
        random.NextBytes(bytes);
        if (n >= 8 && random.Next(2) == 0)
        {
            // Often a plausible header, so decoding gets past the first check.
            BinaryPrimitives.WriteUInt64BigEndian(bytes, 0x5304030500000000UL | (uint)random.Next(8));
        }
        return bytes;
    }

    /// <summary>
    /// Feeds <paramref name="packets"/> to a fresh receiver (as one byte buffer, or packet by packet through an
    /// in-process queue) and consumes everything it delivers the way an application would. Returns null if all went
    /// well, otherwise what went wrong.
    /// </summary>
    public static Task<string?> RunAsync(List<byte[]> packets, bool asBuffer, ReceiveStreamConfig config, TimeSpan bound) =>
        RunAsync(packets, asBuffer, config, bound, null);

    /// <summary>As above, adding the receiver's counters and the heaps consumed to <paramref name="totals"/>.</summary>
    public static async Task<string?> RunAsync(List<byte[]> packets, bool asBuffer, ReceiveStreamConfig config, TimeSpan bound, FuzzTotals? totals)
    {
        await using var receiver = new ReceiveStream(config);
        if (asBuffer)
        {
            receiver.AddBufferReader(packets.SelectMany(p => p).ToArray());
        }
        else
        {
            var queue = new InprocQueue();
            foreach (byte[] p in packets)
            {
                queue.AddPacket(p);
            }
            queue.Stop();
            receiver.AddInprocReader(queue);
        }
        using var cts = new CancellationTokenSource(bound);
        var group = new ItemGroup();
        try
        {
            await foreach (ReceivedHeap heap in receiver.WithCancellation(cts.Token))
            {
                using (heap)
                {
                    Consume(heap, group);
                }
                if (totals is not null)
                {
                    totals.HeapsConsumed++;
                }
            }
            await receiver.Completion.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return $"did not end within {bound.TotalSeconds} s (hang)";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}{Environment.NewLine}{e.StackTrace}";
        }
        ReceiveStatistics s = receiver.Statistics;
        if (s.Heaps < 0 || s.Packets < 0 || s.MalformedPackets < 0)
        {
            return $"negative counters: {s}";
        }
        if (totals is not null)
        {
            totals.Packets += s.Packets;
            totals.Malformed += s.MalformedPackets;
            totals.Rejected += s.RejectedPackets;
            totals.Incomplete += s.IncompleteHeaps;
        }
        return null;
    }

    /// <summary>What an application does with a heap: read every item, decode descriptors, update an item group.</summary>
    public static void Consume(ReceivedHeap heap, ItemGroup group)
    {
        foreach (ReceivedItem item in heap.ItemSpan)
        {
            _ = item.Span.Length;
        }
        _ = heap.GetRawDescriptors();
        try
        {
            _ = heap.GetDescriptors();
        }
        catch (InvalidDataException)
        {
            // Documented for a descriptor spead2 would not accept.
        }
        _ = group.Update(heap); // reports bad descriptors and values, never throws for them
    }

    public static string Hex(List<byte[]> packets) => string.Join(" | ", packets.Select(Convert.ToHexString));

    public static List<byte[]> FromHex(string hex) =>
        [.. hex.Split('|', StringSplitOptions.TrimEntries).Select(h => h.Length == 0 ? [] : Convert.FromHexString(h))];
}

/// <summary>What a fuzz run did, to show that the inputs reached heap assembly rather than all bouncing off the header check.</summary>
internal sealed class FuzzTotals
{
    public long HeapsConsumed;
    public long Packets;
    public long Malformed;
    public long Rejected;
    public long Incomplete;

    public override string ToString() =>
        $"{HeapsConsumed} heaps consumed, {Packets} well-formed packets, {Malformed} malformed, {Rejected} rejected by assembly, {Incomplete} incomplete heaps";
}
