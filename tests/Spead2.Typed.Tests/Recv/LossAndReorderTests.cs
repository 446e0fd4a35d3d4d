using CsCheck;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class LossAndReorderTests
{
    private sealed record SentHeap(long Cnt, List<HeapItem> Items, List<byte[]> Packets);

    /// <summary>Heaps of one to four items (a third immediate, the rest 1..2999 bytes), cut into packets of a generated size.</summary>
    private static Gen<List<SentHeap>> GenHeaps(int min, int max)
    {
        var item = Gen.Frequency(
            (1, Gen.Long[0, (1L << 40) - 1].Select(v => (Bytes: (byte[]?)null, Value: v))),
            (2, Gen.Byte.Array[1, 2999].Select(b => (Bytes: (byte[]?)b, Value: 0L))));
        var heap = Gen.Select(item.Array[1, 4], Gen.Int[16, 1499]);
        return heap.Array[min, max].Select(specs => specs.Select((spec, h) =>
        {
            var items = spec.Item1.Select((x, i) => x.Bytes is null ? HeapItem.Imm(0x1000 + i, x.Value) : HeapItem.Addressed(0x1000 + i, x.Bytes)).ToList();
            long cnt = 1000 + h;
            return new SentHeap(cnt, items, Heap(40, cnt, items, chunk: spec.Item2));
        }).ToList());
    }

    /// <summary>The heaps, with one generated value per packet (in sending order).</summary>
    private static Gen<(List<SentHeap> Heaps, T[] PerPacket)> WithPerPacket<T>(Gen<List<SentHeap>> heaps, Gen<T> perPacket) =>
        heaps.SelectMany(h => perPacket.Array[h.Sum(x => x.Packets.Count)].Select(p => (h, p)));

    private static string Print(List<SentHeap> heaps) =>
        string.Join("; ", heaps.Select(h => $"heap {h.Cnt}: {h.Packets.Count} packets, items {string.Join(",", h.Items.Select(i => i.Bytes is null ? $"imm {i.Immediate}" : $"{i.Bytes.Length} B"))}"));

    private static void AssertIntact(SentHeap sent, ReceivedHeap got)
    {
        Assert.True(got.IsComplete);
        Assert.Equal(sent.Items.Count, got.Items.Count);
        foreach (var item in sent.Items)
        {
            Assert.True(got.TryGetItem(item.Id, out var received));
            if (item.Bytes is null)
                Assert.Equal(item.Immediate, received.ImmediateValue);
            else
                Assert.Equal(item.Bytes, received.Span.ToArray());
        }
    }

    [Fact]
    public void ShuffledPacketsOfEachHeapAssembleWhenOutOfOrderIsAllowed()
    {
        // Each packet gets a sort key; a heap's packets are sent in key order.
        WithPerPacket(GenHeaps(1, 7), Gen.Int).Sample(c =>
        {
            var (heaps, keys) = c;
            int k = 0;
            var order = new List<byte[]>();
            foreach (var h in heaps)
            {
                order.AddRange(h.Packets.Zip(keys.Skip(k)).OrderBy(x => x.Second).Select(x => x.First));
                k += h.Packets.Count;
            }
            var delivered = Assemble(order, new ReceiveStreamConfig { AllowOutOfOrder = true }, out var a);
            Assert.Equal(heaps.Count, delivered.Count);
            for (int i = 0; i < heaps.Count; i++)
                AssertIntact(heaps[i], delivered[i]);
            Assert.Equal(0, a.Statistics.RejectedPackets + a.Statistics.IncompleteHeaps);
        }, iter: 200, print: c => Print(c.Heaps));
    }

    [Fact]
    public void InOrderModeDeliversExactlyTheHeapsThatArrivedInOrder()
    {
        // Half the heaps have their packets sent in key order, the rest in order.
        WithPerPacket(GenHeaps(1, 7), Gen.Int).SelectMany(c => Gen.Bool.Array[c.Heaps.Count].Select(s => (c.Heaps, c.PerPacket, Shuffled: s))).Sample(c =>
        {
            var (heaps, keys, shuffled) = c;
            var expected = new List<SentHeap>();
            var order = new List<byte[]>();
            int k = 0;
            for (int h = 0; h < heaps.Count; h++)
            {
                var sent = heaps[h];
                var packets = shuffled[h] ? sent.Packets.Zip(keys.Skip(k)).OrderBy(x => x.Second).Select(x => x.First).ToList() : sent.Packets;
                k += sent.Packets.Count;
                if (packets.SequenceEqual(sent.Packets))
                    expected.Add(sent);
                order.AddRange(packets);
            }
            var delivered = Assemble(order, null);
            Assert.Equal(expected.Select(h => h.Cnt), delivered.Select(h => h.Cnt));
            for (int i = 0; i < expected.Count; i++)
                AssertIntact(expected[i], delivered[i]);
        }, iter: 200, print: c => Print(c.Heaps));
    }

    /// <summary>
    /// Loss, duplication and reordering across heaps (within a window narrower than MaxHeaps):
    /// exactly the heaps that lost no packet come out, each once and intact.
    /// </summary>
    [Fact]
    public void LossDuplicatesAndReorderingNeverCorruptAHeap()
    {
        // Per packet: lost one time in 20, else delayed by up to 11 positions, and one time in 10 duplicated with a
        // delay of up to 39.
        var fate = Gen.Select(Gen.Int[0, 19], Gen.Int[0, 11], Gen.Int[0, 9], Gen.Int[0, 39]);
        WithPerPacket(GenHeaps(1, 29), fate).Sample(c =>
        {
            var (heaps, fates) = c;
            var survivors = new HashSet<long>();
            var duplicated = new Dictionary<long, int>();
            int partial = 0;
            var stream = new List<(int Key, byte[] Packet)>();
            int position = 0;
            foreach (var h in heaps)
            {
                bool lost = false, arrived = false;
                foreach (var p in h.Packets)
                {
                    var (loss, delay, duplicate, lateDelay) = fates[position];
                    position++;
                    if (loss == 0)
                    {
                        lost = true;
                        continue;
                    }
                    arrived = true;
                    // Reorder within about a heap's width: far fewer than MaxHeaps heaps interleave.
                    stream.Add((position * 4 + delay, p));
                    if (duplicate == 0)
                    {
                        stream.Add((position * 4 + lateDelay, p));   // a duplicate, possibly late
                        duplicated[h.Cnt] = duplicated.GetValueOrDefault(h.Cnt) + 1;
                    }
                }
                if (!lost)
                    survivors.Add(h.Cnt);
                else if (arrived)
                    partial++;
            }
            var order = stream.OrderBy(e => e.Key).Select(e => e.Packet);
            var delivered = Assemble(order, new ReceiveStreamConfig { AllowOutOfOrder = true, MaxHeaps = 16 }, out var a);
            var byCnt = heaps.ToDictionary(h => h.Cnt);
            // Every survivor comes out intact and nothing else does. Late duplicates of a finished
            // heap open a new heap, dropped as incomplete unless every packet was duplicated (a
            // single-packet heap, say): then it is complete again and, as in spead2, delivered twice.
            Assert.Equal(survivors.Order(), delivered.Select(h => h.Cnt).Distinct().Order());
            foreach (var twice in delivered.GroupBy(h => h.Cnt).Where(g => g.Count() > 1))
                Assert.Equal(byCnt[twice.Key].Packets.Count, duplicated.GetValueOrDefault(twice.Key));
            foreach (var got in delivered)
                AssertIntact(byCnt[got.Cnt], got);
            // Heaps that lost packets wait in their slots until evicted or flushed: all counted.
            Assert.Equal(delivered.Count, a.Statistics.Heaps);
            Assert.True(a.Statistics.IncompleteHeaps >= partial, $"{a.Statistics.IncompleteHeaps} < {partial}");
        }, iter: 200, print: c => Print(c.Heaps));
    }
}
