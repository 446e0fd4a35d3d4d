using Xunit;

namespace Spead2.TestSupport;

/// <summary>A heap put back together from its packets.</summary>
public sealed class ParsedHeap
{
    /// <summary>A heap of <paramref name="packets"/> packets.</summary>
    public ParsedHeap(long cnt, byte[] payload, List<ItemPointer> pointers, int heapAddressBits, int packets)
    {
        Cnt = cnt;
        Payload = payload;
        Pointers = pointers;
        HeapAddressBits = heapAddressBits;
        Packets = packets;
    }

    public long Cnt { get; }

    public byte[] Payload { get; }

    /// <summary>Item pointers other than the four packet-level ones, duplicates removed, in wire order.</summary>
    public List<ItemPointer> Pointers { get; }

    public int HeapAddressBits { get; }

    public int Packets { get; }

    /// <summary>
    /// The value of an addressed item: from its address to the next addressed pointer's address (or the end of the
    /// payload), as spead2's receiver cuts items.
    /// </summary>
    public byte[] AddressedItem(long id)
    {
        var addressed = Pointers.Where(p => !p.Immediate).OrderBy(p => p.Value).ToList();
        int i = addressed.FindIndex(p => p.Id == id);
        if (i < 0)
        {
            throw new KeyNotFoundException($"No addressed item 0x{id:X} in heap {Cnt}.");
        }
        long start = addressed[i].Value;
        long end = i + 1 < addressed.Count ? addressed[i + 1].Value : Payload.Length;
        return Payload.AsSpan((int)start, (int)(end - start)).ToArray();
    }

    /// <summary>The value field of an immediate item.</summary>
    public long Immediate(long id) => Pointers.Single(p => p.Immediate && p.Id == id).Value;
}

/// <summary>
/// Reassembles heaps from <see cref="RefReceiver"/>'s packets in arrival order, several heaps open at once (packets of
/// several streams or substreams interleave); each heap's packets must arrive in payload order. For one heap after
/// another use <see cref="RefReceiver.Reassemble"/>, which also decodes the items.
/// </summary>
public sealed class RefHeapAssembler
{
    private readonly Dictionary<long, Partial> _open = [];

    public List<ParsedHeap> Completed { get; } = [];

    /// <summary>Adds one packet.</summary>
    public void Add(RefPacket packet)
    {
        long cnt = packet.HeapCnt;
        Assert.True(packet.HeapLength is not null, $"Heap {cnt}: packet without HEAP_LENGTH.");
        long heapLength = (long)packet.HeapLength!.Value;
        if (!_open.TryGetValue(cnt, out Partial? partial))
        {
            partial = new Partial(heapLength, packet.Hab);
            _open.Add(cnt, partial);
        }
        Assert.True(partial.Payload.Length == heapLength, $"Heap {cnt}: HEAP_LENGTH changed from {partial.Payload.Length} to {heapLength}.");
        Assert.True((long)packet.PayloadOffset == partial.Received,
            $"Heap {cnt}: packet at offset {packet.PayloadOffset} but {partial.Received} bytes were expected first (out of order or lost).");
        packet.Payload.CopyTo(partial.Payload, partial.Received);
        partial.Received += packet.Payload.Length;
        partial.Packets++;
        foreach (ItemPointer p in packet.Items)
        {
            if (p.Id is >= 1 and <= 4 && p.Immediate)
            {
                continue;
            }
            if (!partial.Pointers.Contains(p))
            {
                partial.Pointers.Add(p);
            }
        }
        if (partial.Received == partial.Payload.Length)
        {
            _open.Remove(cnt);
            Completed.Add(new ParsedHeap(cnt, partial.Payload, partial.Pointers, partial.HeapAddressBits, partial.Packets));
        }
    }

    /// <summary>Heaps started but not finished.</summary>
    public int Incomplete => _open.Count;

    private sealed class Partial(long heapLength, int hab)
    {
        public byte[] Payload { get; } = new byte[heapLength];

        public int HeapAddressBits { get; } = hab;

        public int Received { get; set; }

        public int Packets { get; set; }

        public List<ItemPointer> Pointers { get; } = [];
    }
}
