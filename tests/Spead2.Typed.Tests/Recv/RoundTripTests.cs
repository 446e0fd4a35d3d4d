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
    /// One round trip: a flavour, a packet size and the items, each with its value in every heap
    /// (null: unchanged since the heap before; the first heap always has one).
    /// </summary>
    private sealed record RoundTripCase(Flavour Flavour, int PacketSize, (Item Item, object?[] Values)[] Items)
    {
        public override string ToString() =>
            $"{Flavour}, packets of {PacketSize}: " + string.Join("; ", Items.Select(i =>
                $"{RandomSchema.Describe(i.Item)} = {string.Join(" then ", i.Values.Select(RandomSchema.Show))}"));
    }

    private static readonly Gen<RoundTripCase> GenRoundTrip = RandomSchema.Flavours.SelectMany(flavour =>
    {
        bool tiny = flavour.HeapAddressBits == 8;   // a SPEAD-64-8 heap holds at most 255 bytes
        // A descriptor carries the described ID as an immediate, so it must fit HAB bits too
        // (in SPEAD-64-8 that means below 256) as well as the ID field (below 128 in SPEAD-64-56).
        long firstId = Math.Min(flavour.MaxItemId, flavour.MaxHeapAddress) < 0x1100 ? 0x20 : 0x1000;
        return Gen.Select(Gen.Int[1, tiny ? 1 : 4], Gen.Int[1, 3], Gen.Int[0, PacketSizes.Length - 1]).SelectMany((itemCount, heaps, size) =>
            RandomSchema.All(Enumerable.Range(0, itemCount).Select(i =>
                RandomSchema.Item(firstId + i, "item" + i, tiny ? 8 : 24).SelectMany(item =>
                {
                    // After the first heap, each value is replaced (or not) at random.
                    var change = Gen.Bool.SelectMany(changed => changed ? RandomSchema.Value(item).Select(v => (object?)v) : Gen.Const((object?)null));
                    return Gen.Select(RandomSchema.Value(item), change.Array[heaps - 1], (first, later) => (item, (object?[])[first, .. later]));
                })).ToArray())
            .Select(items => new RoundTripCase(flavour, PacketSizes[size], items)));
    });

    /// <summary>
    /// Random schemas and values in every flavour and bug-compat combination: sent with the core's
    /// SendItemGroup and BytesStream, received with the HeapAssembler and ItemGroup.Update, the
    /// descriptors and values must come back equal, over several heaps of changing values. A failure
    /// is shrunk to a small case and printed with a seed that replays it (seed: or CsCheck_Seed).
    /// </summary>
    [Fact]
    public void RandomSchemasAndValuesComeBack()
    {
        GenRoundTrip.Sample(RoundTrip, iter: 400, print: c => c.ToString());
    }

    private static void RoundTrip(RoundTripCase c)
    {
        var flavour = c.Flavour;
        bool tiny = flavour.HeapAddressBits == 8;
        var sender = new SendItemGroup(flavour: flavour);
        foreach (var (item, values) in c.Items)
        {
            item.Value = values[0];
            sender.Add(item);
        }
        var stream = new BytesStream(new Spead2.Send.StreamConfig { MaxPacketSize = c.PacketSize });
        var sentValues = new List<Dictionary<string, object?>>();
        int heaps = c.Items[0].Values.Length;
        for (int h = 0; h < heaps; h++)
        {
            if (h > 0)
            {
                foreach (var (item, values) in c.Items)
                {
                    if (values[h] is { } value)
                        item.Value = value;
                }
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
                    $"{flavour}: values without descriptors {string.Join(", ", update.UnknownIds)}; descriptors {string.Join(", ", heap.GetRawDescriptors())}; items {string.Join(", ", heap.Items.Select(i => i.Id))}");
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
