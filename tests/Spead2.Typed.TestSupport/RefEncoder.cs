using System.Buffers.Binary;

namespace Spead2.TestSupport;

/// <summary>
/// An independent SPEAD encoder written from spead-protocol.md §1.2, §1.3, §3.2–§3.5, in a deliberately different
/// shape from the code under test: all pointers are computed up front as <see cref="ulong"/>s, the whole heap payload
/// is built as one byte list (addressed values in item order, then zero padding), and packets are slices of both.
/// Because the payload is built before it is cut, data always precedes padding: the receiver-correct layout this
/// project sends where spead2 4.4.1 misplaces the padding (§3.10). Below <see cref="Encode"/> are the pieces for
/// packets written by hand (pointer words, headers, a packet from its pointers, a heap cut into chunks), so hostile or
/// unusual packets come from the same encoder. It references nothing of the library: it is the tests' wire oracle.
/// </summary>
public static class RefEncoder
{
    private const ulong ImmediateFlag = 1UL << 63;

    /// <summary>What the heap's layout will be, without producing packets (used to predict errors).</summary>
    public sealed record Plan(int PacketSize, int MaxPointers, int ItemPackets, ulong HeapLength, bool NeedNull);

    /// <summary>The §3.2 construction arithmetic; null when the packet size is below 56.</summary>
    public static Plan? MakePlan(RefHeap heap, int maxPacketSize)
    {
        int mps = maxPacketSize - maxPacketSize % 8;
        if (maxPacketSize < 0 || mps < 56)
            return null;
        int maxPointers = (mps - 48) / 8;
        ulong addressed = 0;
        foreach (var item in heap.Items)
        {
            if (!item.IsImmediate(heap.Hab))
                addressed += (ulong)item.Value!.Length;
        }

        int itemPackets = heap.Items.Count / maxPointers + 1;
        ulong minPayload = 8UL * (ulong)(itemPackets - 1) + 1;
        bool needNull = addressed < minPayload;
        return new Plan(mps, maxPointers, itemPackets, needNull ? minPayload : addressed, needNull);
    }

    /// <summary>The packets spead2's generator sends for <paramref name="heap"/> (with the §3.10 fix).</summary>
    /// <exception cref="InvalidOperationException">A case spead2 rejects; the test should expect the core to throw.</exception>
    public static List<byte[]> Encode(RefHeap heap, ulong cnt, int maxPacketSize)
    {
        var plan = MakePlan(heap, maxPacketSize) ?? throw new InvalidOperationException("packet size is too small");
        if (heap.RepeatPointers && plan.ItemPackets > 1)
            throw new InvalidOperationException("packet size is too small to repeat item pointers");
        int hab = heap.Hab;
        ulong valueMask = hab == 64 ? ulong.MaxValue : (1UL << hab) - 1;
        if (plan.HeapLength > valueMask || cnt > valueMask)
            throw new InvalidOperationException("does not fit the address field");

        // The pointer table and the heap payload, built in one pass over the items.
        var pointers = new List<ulong>();
        var payload = new List<byte>();
        foreach (var item in heap.Items)
        {
            ulong idField = (ulong)item.Id << hab;
            if (item.Inline is { } inline)
            {
                pointers.Add(ImmediateFlag | idField | inline);
            }
            else if (item.IsImmediate(hab))
            {
                // Right-aligned raw bytes (§3.3): the last byte of the value is the pointer's last byte.
                ulong v = 0;
                foreach (byte b in item.Value!)
                    v = v * 256 + b;
                pointers.Add(ImmediateFlag | idField | v);
            }
            else
            {
                pointers.Add(idField | (uint)payload.Count);
                payload.AddRange(item.Value!);
            }
        }
        if (plan.NeedNull)
        {
            pointers.Add((ulong)payload.Count); // NULL_ID (0), addressed, where the real data ends (§3.4)
            while ((ulong)payload.Count < plan.HeapLength)
                payload.Add(0);
        }

        var packets = new List<byte[]>();
        int nextPointer = 0;
        ulong offset = 0;
        while (offset < plan.HeapLength)
        {
            List<ulong> mine;
            if (heap.RepeatPointers)
            {
                mine = pointers;
            }
            else
            {
                int n = Math.Min(plan.MaxPointers, pointers.Count - nextPointer);
                mine = pointers.GetRange(nextPointer, n);
                nextPointer += n;
            }
            ulong room = (ulong)(plan.PacketSize - 40 - 8 * mine.Count);
            ulong length = Math.Min(room, plan.HeapLength - offset);

            var packet = new List<byte>();
            ulong header = 0x53UL << 56 | 0x04UL << 48 | (ulong)(uint)(8 - hab / 8) << 40 | (ulong)(uint)(hab / 8) << 32 | (uint)(mine.Count + 4);
            PutBigEndian(packet, header);
            PutBigEndian(packet, ImmediateFlag | 1UL << hab | cnt);
            PutBigEndian(packet, ImmediateFlag | 2UL << hab | plan.HeapLength);
            PutBigEndian(packet, ImmediateFlag | 3UL << hab | offset);
            PutBigEndian(packet, ImmediateFlag | 4UL << hab | length);
            foreach (ulong p in mine)
                PutBigEndian(packet, p);
            packet.AddRange(payload.GetRange((int)offset, (int)length));
            packets.Add(packet.ToArray());
            offset += length;
        }
        return packets;
    }

    /// <summary>All packets concatenated, as a byte stream carries them.</summary>
    public static byte[] Concat(params IEnumerable<byte[]> packets)
    {
        var all = new List<byte>();
        foreach (var p in packets)
            all.AddRange(p);
        return all.ToArray();
    }

    /// <summary>An immediate item pointer.</summary>
    public static ulong Imm(int hab, long id, long value) => ImmediateFlag | ((ulong)id << hab) | (ulong)value;

    /// <summary>An addressed item pointer.</summary>
    public static ulong Addr(int hab, long id, long address) => ((ulong)id << hab) | (ulong)address;

    /// <summary>The header word of a packet with <paramref name="pointers"/> item pointers.</summary>
    public static ulong HeaderWord(int hab, int pointers) =>
        (0x5304UL << 48) | ((ulong)(uint)(8 - hab / 8) << 40) | ((ulong)(uint)(hab / 8) << 32) | (uint)pointers;

    /// <summary>A word as the 8 big-endian bytes it is on the wire.</summary>
    public static byte[] Bytes(ulong word)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, word);
        return b;
    }

    /// <summary>The header of a packet with <paramref name="pointers"/> item pointers, as bytes.</summary>
    public static byte[] Header(int hab, int pointers) => Bytes(HeaderWord(hab, pointers));

    /// <summary>An immediate item pointer, as bytes.</summary>
    public static byte[] Immediate(int hab, long id, long value) => Bytes(Imm(hab, id, value));

    /// <summary>An addressed item pointer, as bytes.</summary>
    public static byte[] Address(int hab, long id, long address) => Bytes(Addr(hab, id, address));

    /// <summary>A packet of exactly these pointers and this payload.</summary>
    public static byte[] Packet(int hab, IReadOnlyList<ulong> pointers, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[8 + 8 * pointers.Count + payload.Length];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, HeaderWord(hab, pointers.Count));
        for (int i = 0; i < pointers.Count; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8 + 8 * i), pointers[i]);
        payload.CopyTo(bytes.AsSpan(8 + 8 * pointers.Count));
        return bytes;
    }

    /// <summary>A packet with the four specials first, as spead2 sends them (no HEAP_LENGTH when it is negative).</summary>
    public static byte[] Packet(int hab, long cnt, long heapLength, long offset, ReadOnlySpan<byte> payload, params ulong[] items)
    {
        var pointers = new List<ulong> { Imm(hab, 1, cnt) };
        if (heapLength >= 0)
            pointers.Add(Imm(hab, 2, heapLength));
        pointers.Add(Imm(hab, 3, offset));
        pointers.Add(Imm(hab, 4, payload.Length));
        pointers.AddRange(items);
        return Packet(hab, pointers, payload);
    }

    /// <summary>An item of a hand-made heap: addressed bytes or an immediate value.</summary>
    public sealed record HeapItem(long Id, byte[]? Bytes, long Immediate = 0)
    {
        /// <summary>An addressed item.</summary>
        public static HeapItem Addressed(long id, byte[] bytes) => new(id, bytes);

        /// <summary>An immediate item.</summary>
        public static HeapItem Imm(long id, long value) => new(id, null, value);
    }

    /// <summary>
    /// Splits a heap into packets: every pointer in the first packet, the addressed items'
    /// bytes concatenated as payload (a NULL pointer and one padding byte if there are none),
    /// at most <paramref name="chunk"/> payload bytes per packet.
    /// </summary>
    public static List<byte[]> Heap(int hab, long cnt, IReadOnlyList<HeapItem> items, int chunk = 1024,
        bool withHeapLength = true)
    {
        var pointers = new List<ulong>();
        var payload = new List<byte>();
        foreach (var item in items)
        {
            if (item.Bytes is null)
            {
                pointers.Add(Imm(hab, item.Id, item.Immediate));
            }
            else
            {
                pointers.Add(Addr(hab, item.Id, payload.Count));
                payload.AddRange(item.Bytes);
            }
        }
        if (payload.Count == 0)
        {
            pointers.Add(Addr(hab, 0, 0));
            payload.Add(0);
        }
        var packets = new List<byte[]>();
        var all = payload.ToArray();
        for (int offset = 0; offset < all.Length; offset += chunk)
        {
            int length = Math.Min(chunk, all.Length - offset);
            packets.Add(Packet(hab, cnt, withHeapLength ? all.Length : -1, offset, all.AsSpan(offset, length),
                offset == 0 ? [.. pointers] : []));
        }
        return packets;
    }

    private static void PutBigEndian(List<byte> output, ulong value)
    {
        for (int shift = 56; shift >= 0; shift -= 8)
            output.Add((byte)(value >> shift));
    }
}
