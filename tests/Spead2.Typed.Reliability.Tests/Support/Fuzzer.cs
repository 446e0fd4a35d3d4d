using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Hostile input for the receiver: a seed corpus of real packets made by our sender, and mutations of them, fed
/// through the receiver's public readers (the mutations are Spead2.TestSupport.PacketMutations). An input "crashes" if reading it throws anything to the consumer, faults
/// the stream, or does not end within a time bound.
/// </summary>
internal static class Fuzzer
{
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
