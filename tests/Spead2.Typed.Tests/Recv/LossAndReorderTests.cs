using CsCheck;
using static Spead2.TestSupport.RefEncoder;
using static Spead2.Tests.Support.ReceiveHelpers;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Recv;

public class LossAndReorderTests
{
    private sealed record SentHeap(long Cnt, List<HeapItem> Items, List<byte[]> Packets);

    private static List<SentHeap> RandomHeaps(Random r, int count)
    {
        var heaps = new List<SentHeap>();
        for (int h = 0; h < count; h++)
        {
            var items = new List<HeapItem>();
            int n = r.Next(1, 5);
            for (int i = 0; i < n; i++)
            {
                long id = 0x1000 + i;
                if (r.Next(3) == 0)
                    items.Add(HeapItem.Imm(id, r.NextInt64(0, 1L << 40)));
                else
                {
                    var bytes = new byte[r.Next(1, 3000)];
                    r.NextBytes(bytes);
                    items.Add(HeapItem.Addressed(id, bytes));
                }
            }
            long cnt = 1000 + h;
            heaps.Add(new SentHeap(cnt, items, Heap(40, cnt, items, chunk: r.Next(16, 1500))));
        }
        return heaps;
    }

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
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var heaps = RandomHeaps(r, r.Next(1, 8));
            var order = heaps.SelectMany(h => h.Packets.OrderBy(_ => r.Next())).ToList();
            var delivered = Assemble(order, new ReceiveStreamConfig { AllowOutOfOrder = true }, out var a);
            Assert.Equal(heaps.Count, delivered.Count);
            for (int i = 0; i < heaps.Count; i++)
                AssertIntact(heaps[i], delivered[i]);
            Assert.Equal(0, a.Statistics.RejectedPackets + a.Statistics.IncompleteHeaps);
        }, iter: 200);
    }

    [Fact]
    public void InOrderModeDeliversExactlyTheHeapsThatArrivedInOrder()
    {
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var heaps = RandomHeaps(r, r.Next(1, 8));
            var expected = new List<SentHeap>();
            var order = new List<byte[]>();
            foreach (var h in heaps)
            {
                var packets = r.Next(2) == 0 ? h.Packets : h.Packets.OrderBy(_ => r.Next()).ToList();
                if (packets.SequenceEqual(h.Packets))
                    expected.Add(h);
                order.AddRange(packets);
            }
            var delivered = Assemble(order, null);
            Assert.Equal(expected.Select(h => h.Cnt), delivered.Select(h => h.Cnt));
            for (int i = 0; i < expected.Count; i++)
                AssertIntact(expected[i], delivered[i]);
        }, iter: 200);
    }

    /// <summary>
    /// Loss, duplication and reordering across heaps (within a window narrower than MaxHeaps):
    /// exactly the heaps that lost no packet come out, each once and intact.
    /// </summary>
    [Fact]
    public void LossDuplicatesAndReorderingNeverCorruptAHeap()
    {
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var heaps = RandomHeaps(r, r.Next(1, 30));
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
                    position++;
                    if (r.Next(20) == 0)
                    {
                        lost = true;
                        continue;
                    }
                    arrived = true;
                    // Reorder within about a heap's width: far fewer than MaxHeaps heaps interleave.
                    stream.Add((position * 4 + r.Next(0, 12), p));
                    if (r.Next(10) == 0)
                    {
                        stream.Add((position * 4 + r.Next(0, 40), p));   // a duplicate, possibly late
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
        }, iter: 200);
    }
}
