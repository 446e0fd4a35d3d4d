using Xunit;

namespace Spead2.TestSupport;

/// <summary>One packet decoded by <see cref="RefReceiver.ParsePacket"/>.</summary>
public sealed record RefPacket(int Hab, ulong Cnt, ulong? HeapLength, ulong PayloadOffset, ulong PayloadLength,
    IReadOnlyList<ulong> Pointers, byte[] Payload)
{
    /// <summary>HEAP_CNT as the library's signed counters hold it.</summary>
    public long HeapCnt => (long)Cnt;

    /// <summary>Total size in bytes.</summary>
    public int Size => 8 + 8 * Pointers.Count + Payload.Length;

    /// <summary>The pointers decoded (mode bit, ID, value field).</summary>
    public IEnumerable<ItemPointer> Items
    {
        get
        {
            ulong mask = (1UL << Hab) - 1;
            foreach (ulong p in Pointers)
                yield return new ItemPointer(p >> 63 != 0, (long)((p & ~(1UL << 63)) >> Hab), (long)(p & mask));
        }
    }
}

/// <summary>One item pointer as found on the wire.</summary>
public readonly record struct ItemPointer(bool Immediate, long Id, long Value);

/// <summary>An item extracted from a received heap (§9.4).</summary>
/// <param name="Id">Item ID.</param>
/// <param name="IsImmediate">Whether the pointer had the mode bit set.</param>
/// <param name="Value">Addressed: the item's bytes. Immediate: the HAB/8 low bytes of the pointer, big-endian.</param>
/// <param name="ImmediateValue">Immediate: the pointer's low HAB bits as an integer.</param>
public sealed record RefReceivedItem(long Id, bool IsImmediate, byte[] Value, ulong ImmediateValue);

/// <summary>A reassembled heap.</summary>
public sealed record RefReceivedHeap(ulong Cnt, int Hab, ulong HeapLength, int PacketCount, IReadOnlyList<RefReceivedItem> Items);

/// <summary>
/// An independent packet parser and heap reassembler written from spead-protocol.md §1 and §9 (spead2's receiver
/// rules): packet acceptance, in-order assembly, keeping only pointers with ID 0 or ≥ 5, dropping identical
/// pointers, stable sorting on (mode bit, low bits), sizes from address differences, NULL pointers only ending the
/// item before them, and zero-length items dropped. Where spead2 would silently drop a packet or heap, this fails the
/// test instead, because our sender must never produce one. It also checks the sender-side layout spead2 always
/// produces (§10 T3: the four mandatory immediates first, in order) when <c>strict</c> is set.
/// </summary>
public static class RefReceiver
{
    /// <summary>Decodes one packet (exactly its bytes, as a datagram), failing the test on anything spead2's receiver would reject.</summary>
    public static RefPacket ParsePacket(ReadOnlySpan<byte> packet, bool strict = true) => ParsePacket(packet.ToArray(), strict);

    /// <summary>Decodes one packet, failing the test on anything spead2's receiver would reject.</summary>
    public static RefPacket ParsePacket(byte[] packet, bool strict = true)
    {
        Assert.True(packet.Length >= 8, $"packet of {packet.Length} bytes has no header");
        ulong header = ReadBigEndian(packet, 0);
        Assert.True(header >> 48 == 0x5304, $"bad magic/version {header >> 48:x4}");
        int idWidth = packet[2], addrWidth = packet[3];
        Assert.True(idWidth != 0 && addrWidth != 0 && (idWidth + addrWidth) * 8 == 64, $"bad widths {idWidth},{addrWidth}");
        if (strict)
            Assert.True(packet[4] == 0 && packet[5] == 0, "reserved header bytes must be sent as 0");
        int hab = addrWidth * 8;
        int n = (int)(header & 0xFFFF);
        Assert.True(8 + 8L * n <= packet.Length, $"{n} pointers do not fit a {packet.Length}-byte packet");
        ulong mask = hab == 64 ? ulong.MaxValue : (1UL << hab) - 1;

        var pointers = new List<ulong>(n);
        ulong? cnt = null, heapLength = null, offset = null, length = null;
        for (int i = 0; i < n; i++)
        {
            ulong p = ReadBigEndian(packet, 8 + 8 * i);
            pointers.Add(p);
            bool imm = p >> 63 != 0;
            ulong id = (p & ~(1UL << 63)) >> hab;
            if (imm)
            {
                ulong v = p & mask;
                switch (id)
                {
                    case 1: cnt = v; break;
                    case 2: heapLength = v; break;
                    case 3: offset = v; break;
                    case 4: length = v; break;
                }
            }
        }
        Assert.True(cnt is not null && offset is not null && length is not null, "HEAP_CNT, PAYLOAD_OFFSET and PAYLOAD_LENGTH must be immediates in every packet");
        Assert.True((ulong)packet.Length == 8 + 8UL * (ulong)n + length!.Value,
            $"packet length {packet.Length} != 8 + 8*{n} + PAYLOAD_LENGTH {length} (a UDP receiver drops it)");
        if (heapLength is { } hl)
            Assert.True(offset!.Value + length.Value <= hl, $"payload {offset}+{length} beyond HEAP_LENGTH {hl}");
        if (strict)
        {
            Assert.True(n >= 4, "fewer than the 4 mandatory pointers");
            for (int i = 0; i < 4; i++)
            {
                ulong p = pointers[i];
                Assert.True(p >> 63 == 1 && ((p & ~(1UL << 63)) >> hab) == (ulong)(i + 1),
                    $"pointer {i} should be the immediate with ID {i + 1} (T3), got {p:x16}");
            }
            Assert.NotNull(heapLength);
            Assert.True(length.Value >= 1, "every packet carries payload (§3.4)");
        }
        return new RefPacket(hab, cnt!.Value, heapLength, offset!.Value, length.Value, pointers,
            packet.AsSpan(8 + 8 * n, (int)length.Value).ToArray());
    }

    /// <summary>
    /// Reassembles a sequence of packets into heaps. Packets of a heap must be consecutive and in payload order (the
    /// default <c>allow_out_of_order = false</c>); a heap is finished when it is complete, and every heap must be.
    /// </summary>
    public static List<RefReceivedHeap> Reassemble(IEnumerable<byte[]> packets, bool strict = true)
    {
        var heaps = new List<RefReceivedHeap>();
        Live? live = null;
        foreach (var bytes in packets)
        {
            var p = ParsePacket(bytes, strict);
            if (live is null)
            {
                Assert.True(p.PayloadOffset == 0, $"heap {p.Cnt} starts at offset {p.PayloadOffset}, not 0");
                live = new Live(p.Cnt, p.Hab, p.HeapLength!.Value);
            }
            else
            {
                Assert.True(p.Cnt == live.Cnt, $"packet of heap {p.Cnt} arrived before heap {live.Cnt} was complete");
                Assert.True(p.Hab == live.Hab, "HAB changed within a heap");
                Assert.True(p.HeapLength == live.HeapLength, $"HEAP_LENGTH changed within heap {p.Cnt}: {live.HeapLength} then {p.HeapLength}");
                Assert.True(p.PayloadOffset == live.Received, $"heap {p.Cnt}: packet at offset {p.PayloadOffset}, expected {live.Received} (in order)");
            }
            live.Add(p);
            if (live.Received == live.HeapLength)
            {
                heaps.Add(live.Finish());
                live = null;
            }
        }
        Assert.True(live is null, $"heap {live?.Cnt} is incomplete: {live?.Received} of {live?.HeapLength} bytes");
        return heaps;
    }

    private sealed class Live(ulong cnt, int hab, ulong heapLength)
    {
        private readonly List<ulong> _pointers = [];
        private readonly HashSet<ulong> _seen = [];
        private readonly byte[] _payload = new byte[checked((int)heapLength)];
        private ulong _minLength;
        private int _packets;

        public ulong Cnt { get; } = cnt;
        public int Hab { get; } = hab;
        public ulong HeapLength { get; } = heapLength;
        public ulong Received { get; private set; }

        public void Add(RefPacket p)
        {
            _packets++;
            ulong mask = (1UL << Hab) - 1;
            foreach (ulong ptr in p.Pointers)
            {
                ulong id = (ptr & ~(1UL << 63)) >> Hab;
                if (id is >= 1 and <= 4)
                    continue; // the receiver keeps only IDs 0 and >= 5
                if (!_seen.Add(ptr))
                    continue; // an identical pointer (e.g. repeat_pointers) is stored once
                _pointers.Add(ptr);
                if (ptr >> 63 == 0)
                {
                    ulong address = ptr & mask;
                    Assert.True(address <= HeapLength, $"address {address} beyond HEAP_LENGTH {HeapLength}: spead2 rejects the packet");
                    _minLength = Math.Max(_minLength, address);
                }
            }
            p.Payload.CopyTo(_payload, (int)p.PayloadOffset);
            Received += p.PayloadLength;
            _minLength = Math.Max(_minLength, p.PayloadOffset + p.PayloadLength);
        }

        public RefReceivedHeap Finish()
        {
            ulong mask = (1UL << Hab) - 1;
            // Stable sort on (mode bit, low bits): addressed by address, then immediates by value (§9.4).
            var order = new List<(ulong Key, int Index)>();
            for (int i = 0; i < _pointers.Count; i++)
                order.Add(((_pointers[i] >> 63) << 62 | (_pointers[i] & mask), i));
            order.Sort((a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Index.CompareTo(b.Index));

            var items = new List<RefReceivedItem>();
            for (int k = 0; k < order.Count; k++)
            {
                ulong ptr = _pointers[order[k].Index];
                long id = (long)((ptr & ~(1UL << 63)) >> Hab);
                ulong low = ptr & mask;
                if (ptr >> 63 == 1)
                {
                    if (id == 0)
                        continue;
                    var bytes = new byte[Hab / 8];
                    for (int b = 0; b < bytes.Length; b++)
                        bytes[b] = (byte)(low >> (8 * (bytes.Length - 1 - b)));
                    items.Add(new RefReceivedItem(id, true, bytes, low));
                    continue;
                }
                ulong end = _minLength;
                if (k + 1 < order.Count && _pointers[order[k + 1].Index] >> 63 == 0)
                    end = _pointers[order[k + 1].Index] & mask;
                if (id == 0 || end == low)
                    continue; // NULL only ends the item before it; zero-length items are dropped
                items.Add(new RefReceivedItem(id, false, _payload.AsSpan((int)low, (int)(end - low)).ToArray(), 0));
            }
            return new RefReceivedHeap(Cnt, Hab, HeapLength, _packets, items);
        }
    }

    /// <summary>
    /// The size of the packet at the start of <paramref name="data"/>, or -1 if more bytes are needed to tell
    /// (the rule a TCP receiver uses to find packet boundaries).
    /// </summary>
    public static int PeekSize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
            return -1;
        int hab = data[3] * 8;
        int n = data[6] << 8 | data[7];
        int headerLength = 8 + 8 * n;
        if (data.Length < headerLength)
            return -1;
        ulong mask = (1UL << hab) - 1;
        for (int i = 0; i < n; i++)
        {
            ulong p = ReadBigEndian(data, 8 + 8 * i);
            if (p >> 63 != 0 && (p & ~(1UL << 63)) >> hab == 4)
                return checked(headerLength + (int)(p & mask));
        }
        Assert.Fail("No immediate PAYLOAD_LENGTH pointer.");
        return -1;
    }

    /// <summary>Splits a byte stream (TCP, or a bytes stream) into packets, each decoded with <paramref name="strict"/>.</summary>
    public static List<RefPacket> SplitStream(ReadOnlySpan<byte> data, bool strict = false)
    {
        var packets = new List<RefPacket>();
        while (data.Length > 0)
        {
            int size = PeekSize(data);
            Assert.True(size >= 0 && size <= data.Length, $"The stream ends inside a packet ({data.Length} bytes left).");
            packets.Add(ParsePacket(data[..size], strict));
            data = data[size..];
        }
        return packets;
    }

    private static ulong ReadBigEndian(ReadOnlySpan<byte> data, int offset)
    {
        ulong v = 0;
        for (int i = 0; i < 8; i++)
            v = v << 8 | data[offset + i];
        return v;
    }
}
