using CsCheck;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;

namespace Spead2.Tests.Recv;

public class RoundTripTests
{
    private static readonly int[] PacketSizes = [56, 96, 200, 1472, 9000];

    /// <summary>
    /// Random schemas and values in every flavour and bug-compat combination: sent with the core's
    /// SendItemGroup and BytesStream, received with the HeapAssembler and ItemGroup.Update, the
    /// descriptors and values must come back equal, over several heaps of changing values.
    /// </summary>
    [Fact]
    public void RandomSchemasAndValuesComeBack()
    {
        Gen.Int.Sample(RoundTrip, iter: 400);
    }

    [Theory]
    [InlineData(1)]
    public void RoundTripSeed(int seed) => RoundTrip(seed);

    private static void RoundTrip(int seed)
    {
        {
            var r = new Random(seed);
            var flavour = RandomSchema.Flavour(r);
            bool tiny = flavour.HeapAddressBits == 8;   // a SPEAD-64-8 heap holds at most 255 bytes
            // A descriptor carries the described ID as an immediate, so it must fit HAB bits too
            // (in SPEAD-64-8 that means below 256) as well as the ID field (below 128 in SPEAD-64-56).
            long firstId = Math.Min(flavour.MaxItemId, flavour.MaxHeapAddress) < 0x1100 ? 0x20 : 0x1000;
            int itemCount = tiny ? 1 : r.Next(1, 5);
            var sender = new SendItemGroup(flavour: flavour);
            for (int i = 0; i < itemCount; i++)
            {
                var item = RandomSchema.Item(r, firstId + i, "item" + i, tiny ? 8 : 24);
                item.Value = RandomSchema.Value(r, item);
                sender.Add(item);
            }
            var stream = new BytesStream(new Spead2.Send.StreamConfig { MaxPacketSize = PacketSizes[r.Next(PacketSizes.Length)] });
            var sentValues = new List<Dictionary<string, object?>>();
            int heaps = r.Next(1, 4);
            for (int h = 0; h < heaps; h++)
            {
                if (h > 0)
                {
                    foreach (var item in sender.Where(_ => r.Next(2) == 0))
                        item.Value = RandomSchema.Value(r, item);
                }
                if (tiny)
                {
                    stream.SendHeap(sender.GetHeap(data: HeapContents.None));
                    stream.SendHeap(sender.GetHeap(descriptors: HeapContents.None));
                }
                else
                {
                    stream.SendHeap(sender.GetHeap());
                }
                // An empty value goes out as a zero-length addressed item (the core never sends
                // 0-byte immediates), which receivers drop: the receiver keeps the value before it.
                var expected = h == 0 ? new Dictionary<string, object?>() : new Dictionary<string, object?>(sentValues[h - 1]);
                foreach (var item in sender)
                {
                    if (item.ToBuffer().Length > 0)
                        expected[item.Name] = item.Value;
                    else
                        expected.TryAdd(item.Name, null);
                }
                sentValues.Add(expected);
            }

            var assembler = new HeapAssembler(new ReceiveStreamConfig { BugCompat = flavour.BugCompat });
            var ready = new List<ReceivedHeap>();
            var wire = stream.GetValue();
            for (int offset = 0; offset < wire.Length;)
            {
                Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(wire.AsSpan(offset), out var header));
                assembler.AddPacket(wire.AsSpan(offset, header.Size), ready);
                offset += header.Size;
            }
            Assert.Equal(tiny ? 2 * heaps : heaps, ready.Count);
            Assert.Equal(0, assembler.Statistics.RejectedPackets + assembler.Statistics.MalformedPackets);

            var receiver = new ItemGroup();
            for (int h = 0; h < heaps; h++)
            {
                foreach (var heap in tiny ? ready.Skip(2 * h).Take(2) : ready.Skip(h).Take(1))
                {
                    var update = receiver.Update(heap);
                    Assert.True(update.Errors.Count == 0, string.Join("; ", update.Errors));
                    Assert.True(update.UnknownIds.Count == 0,
                        $"seed {seed}, {flavour}: values without descriptors {string.Join(", ", update.UnknownIds)}; descriptors {string.Join(", ", heap.GetRawDescriptors())}; items {string.Join(", ", heap.Items.Select(i => i.Id))}");
                    heap.Dispose();
                }
                foreach (var sent in sender)
                {
                    Assert.True(receiver.TryGetValue(sent.Name, out var got),
                        $"{flavour}: no descriptor for {sent} (heap {h}, received {string.Join(", ", receiver.Names)})");
                    Assert.True(ItemGroup.SameDescription(sent, got), $"{flavour}: sent {sent}, got {got}");
                    object? expected = sentValues[h][sent.Name];
                    Assert.True(RandomSchema.ValueEquals(expected, got.Value),
                        $"{flavour}, {sent}: sent {RandomSchema.Show(expected)}, got {RandomSchema.Show(got.Value)}");
                }
            }
        }
    }

    [Fact]
    public async Task BufferReaderDeliversHeapsAndStopsAtTheEnd()
    {
        var sender = new SendItemGroup();
        var item = sender.AddItem(null, "counter", "", [], format: [new FormatField('u', 32)], value: 0u);
        var stream = new BytesStream();
        stream.SendHeap(sender.GetStart());
        for (uint i = 1; i <= 20; i++)
        {
            item.Value = i;
            stream.SendHeap(sender.GetHeap());
        }

        await using var receiver = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 2 });
        receiver.AddBufferReader(stream.GetValue());
        var group = new ItemGroup();
        var seen = new List<uint>();
        int heaps = 0;
        await foreach (var heap in receiver)
        {
            using (heap)
            {
                heaps++;
                if (group.Update(heap).Updated.Count > 0)
                    seen.Add((uint)group["counter"].Value!);
            }
        }
        Assert.Equal(21, heaps);   // the start heap is an ordinary heap
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (uint)i), seen);
        Assert.True(receiver.IsStopped);
        await receiver.Completion;
        Assert.Equal(21, receiver.Statistics.Heaps);
    }

    [Fact]
    public async Task BufferReaderStopsAtTheFirstUndecodableBytesAndOnTheStopHeap()
    {
        var sender = new SendItemGroup();
        var item = sender.AddItem(null, "x", "", [], dtype: "<u8", value: 1UL);
        var stream = new BytesStream();
        stream.SendHeap(sender.GetHeap());
        stream.SendHeap(sender.GetEnd());
        item.Value = 2UL;
        stream.SendHeap(sender.GetHeap());
        var wire = stream.GetValue();

        await using (var receiver = new ReceiveStream())
        {
            receiver.AddBufferReader(wire);
            var heaps = await Collect(receiver);
            Assert.Single(heaps);   // the stop heap ends the stream; the heap after it is never read
        }

        // Garbage first: nothing is decoded. Garbage after the first heap: that heap only.
        var first = new BytesStream();
        first.SendHeap(sender.GetHeap(HeapContents.All, HeapContents.All));
        var one = first.GetValue();
        byte[] junk = [0x53, 0x04, 9, 9, 0, 0, 0, 0, 1];
        foreach (var (bytes, expected) in new[] { (junk.Concat(wire).ToArray(), 0), (one.Concat(junk).Concat(wire).ToArray(), 1) })
        {
            await using var receiver = new ReceiveStream();
            receiver.AddBufferReader(bytes);
            var heaps = await Collect(receiver);
            Assert.Equal(expected, heaps.Count);
            Assert.Equal(1, receiver.Statistics.MalformedPackets);
        }
    }

    internal static async Task<List<ReceivedHeap>> Collect(ReceiveStream stream)
    {
        var list = new List<ReceivedHeap>();
        await foreach (var heap in stream)
            list.Add(heap);
        return list;
    }
}
