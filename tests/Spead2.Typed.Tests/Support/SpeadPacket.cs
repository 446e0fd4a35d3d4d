using System.Buffers.Binary;
using Spead2.Send;

namespace Spead2.Tests.Support;

/// <summary>One item pointer as found on the wire.</summary>
internal readonly record struct ItemPointer(bool Immediate, long Id, long Value);

/// <summary>
/// A SPEAD packet decoded by a small parser written for the tests from the wire description (independent of the
/// library's encoder), strict in the way spead2's receiver is.
/// </summary>
internal sealed class SpeadPacket
{
    private SpeadPacket(int heapAddressBits, List<ItemPointer> pointers, byte[] payload, int size)
    {
        HeapAddressBits = heapAddressBits;
        Pointers = pointers;
        Payload = payload;
        Size = size;
        foreach (ItemPointer p in pointers)
        {
            if (!p.Immediate)
            {
                continue;
            }
            switch (p.Id)
            {
                case 1: HeapCnt ??= p.Value; break;
                case 2: HeapLength ??= p.Value; break;
                case 3: PayloadOffset ??= p.Value; break;
                case 4: PayloadLength ??= p.Value; break;
            }
        }
        if (HeapCnt is null || PayloadOffset is null || PayloadLength is null)
        {
            throw new FormatException("The packet lacks an immediate HEAP_CNT, PAYLOAD_OFFSET or PAYLOAD_LENGTH.");
        }
    }

    public int HeapAddressBits { get; }

    public List<ItemPointer> Pointers { get; }

    public byte[] Payload { get; }

    /// <summary>Total size in bytes.</summary>
    public int Size { get; }

    public long? HeapCnt { get; }

    public long? HeapLength { get; }

    public long? PayloadOffset { get; }

    public long? PayloadLength { get; }

    /// <summary>
    /// The size of the packet at the start of <paramref name="data"/>, or -1 if more bytes are needed to tell
    /// (the rule a TCP receiver uses to find packet boundaries).
    /// </summary>
    public static int PeekSize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
        {
            return -1;
        }
        (int hab, int n) = ParseHeader(data);
        int headerLength = 8 + 8 * n;
        if (data.Length < headerLength)
        {
            return -1;
        }
        long mask = (1L << hab) - 1;
        for (int i = 0; i < n; i++)
        {
            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(8 + 8 * i));
            bool immediate = (raw >> 63) != 0;
            long id = (long)((raw & ~(1UL << 63)) >> hab);
            if (immediate && id == 4)
            {
                return checked(headerLength + (int)(raw & (ulong)mask));
            }
        }
        throw new FormatException("No immediate PAYLOAD_LENGTH pointer.");
    }

    /// <summary>Decodes exactly one packet; the data must be exactly its length (as for a datagram).</summary>
    public static SpeadPacket Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
        {
            throw new FormatException($"A packet of {data.Length} bytes is shorter than a header.");
        }
        (int hab, int n) = ParseHeader(data);
        int headerLength = 8 + 8 * n;
        if (data.Length < headerLength)
        {
            throw new FormatException("The packet is shorter than its pointers.");
        }
        long mask = (1L << hab) - 1;
        var pointers = new List<ItemPointer>(n);
        for (int i = 0; i < n; i++)
        {
            ulong raw = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(8 + 8 * i));
            bool immediate = (raw >> 63) != 0;
            long id = (long)((raw & ~(1UL << 63)) >> hab);
            pointers.Add(new ItemPointer(immediate, id, (long)raw & mask));
        }
        byte[] payload = data[headerLength..].ToArray();
        var packet = new SpeadPacket(hab, pointers, payload, data.Length);
        if (packet.PayloadLength != payload.Length)
        {
            throw new FormatException($"PAYLOAD_LENGTH is {packet.PayloadLength} but {payload.Length} payload bytes are present.");
        }
        if (packet.HeapLength is { } hl && packet.PayloadOffset + packet.PayloadLength > hl)
        {
            throw new FormatException("The payload extends past HEAP_LENGTH.");
        }
        return packet;
    }

    private static (int Hab, int N) ParseHeader(ReadOnlySpan<byte> data)
    {
        if (data[0] != 0x53 || data[1] != 0x04)
        {
            throw new FormatException($"Bad magic/version {data[0]:X2} {data[1]:X2}.");
        }
        int idBytes = data[2];
        int addressBytes = data[3];
        if (idBytes == 0 || addressBytes == 0 || (idBytes + addressBytes) != 8)
        {
            throw new FormatException($"Bad pointer widths {idBytes}+{addressBytes}.");
        }
        int n = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(6));
        return (addressBytes * 8, n);
    }
}

/// <summary>A heap put back together from its packets.</summary>
internal sealed class ParsedHeap
{
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

/// <summary>Reassembles heaps from packets in arrival order, checking what spead2's receiver checks.</summary>
internal sealed class ParsedHeapAssembler
{
    private readonly Dictionary<long, Partial> _open = [];

    public List<ParsedHeap> Completed { get; } = [];

    public void Add(SpeadPacket packet)
    {
        long cnt = packet.HeapCnt!.Value;
        long heapLength = packet.HeapLength ?? throw new FormatException("Packet without HEAP_LENGTH.");
        if (!_open.TryGetValue(cnt, out Partial? partial))
        {
            partial = new Partial(heapLength, packet.HeapAddressBits);
            _open.Add(cnt, partial);
        }
        if (partial.Payload.Length != heapLength)
        {
            throw new FormatException($"Heap {cnt}: HEAP_LENGTH changed from {partial.Payload.Length} to {heapLength}.");
        }
        if (packet.PayloadOffset != partial.Received)
        {
            throw new FormatException($"Heap {cnt}: packet at offset {packet.PayloadOffset} but {partial.Received} bytes were expected first (out of order or lost).");
        }
        packet.Payload.CopyTo(partial.Payload, partial.Received);
        partial.Received += packet.Payload.Length;
        partial.Packets++;
        foreach (ItemPointer p in packet.Pointers)
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

    /// <summary>Splits a byte stream (TCP or <see cref="BytesStream"/>) into packets and adds them all.</summary>
    public static List<SpeadPacket> SplitStream(ReadOnlySpan<byte> data)
    {
        var packets = new List<SpeadPacket>();
        while (data.Length > 0)
        {
            int size = SpeadPacket.PeekSize(data);
            if (size < 0 || size > data.Length)
            {
                throw new FormatException($"The stream ends inside a packet ({data.Length} bytes left).");
            }
            packets.Add(SpeadPacket.Parse(data[..size]));
            data = data[size..];
        }
        return packets;
    }

    private sealed class Partial(long heapLength, int hab)
    {
        public byte[] Payload { get; } = new byte[heapLength];

        public int HeapAddressBits { get; } = hab;

        public int Received { get; set; }

        public int Packets { get; set; }

        public List<ItemPointer> Pointers { get; } = [];
    }
}
