using System.Buffers.Binary;
using Spead2.Recv;

namespace Spead2.Tests.Support;

/// <summary>A small independent SPEAD encoder for building test packets by hand.</summary>
internal static class Wire
{
    public static ulong Imm(int hab, long id, long value) => (1UL << 63) | ((ulong)id << hab) | (ulong)value;

    public static ulong Addr(int hab, long id, long address) => ((ulong)id << hab) | (ulong)address;

    public static byte[] Packet(int hab, IReadOnlyList<ulong> pointers, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[8 + 8 * pointers.Count + payload.Length];
        ulong header = (0x5304UL << 48) | ((ulong)(uint)(8 - hab / 8) << 40) | ((ulong)(uint)(hab / 8) << 32) | (uint)pointers.Count;
        BinaryPrimitives.WriteUInt64BigEndian(bytes, header);
        for (int i = 0; i < pointers.Count; i++)
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8 + 8 * i), pointers[i]);
        payload.CopyTo(bytes.AsSpan(8 + 8 * pointers.Count));
        return bytes;
    }

    /// <summary>A packet with the four specials first, as spead2 sends them.</summary>
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
        public static HeapItem Addressed(long id, byte[] bytes) => new(id, bytes);
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
                pointers.Add(Imm(hab, item.Id, item.Immediate));
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

    public static byte[] Concat(IEnumerable<byte[]> packets) => packets.SelectMany(p => p).ToArray();

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "").Replace("\n", "").Replace("|", ""));

    /// <summary>Feeds packets to an assembler, then stops it; returns every heap that came out.</summary>
    public static List<ReceivedHeap> Assemble(IEnumerable<byte[]> packets, ReceiveStreamConfig? config, out HeapAssembler assembler)
    {
        assembler = new HeapAssembler(config);
        var ready = new List<ReceivedHeap>();
        foreach (var p in packets)
            assembler.AddPacket(p, ready);
        assembler.Stop(ready);
        return ready;
    }

    public static List<ReceivedHeap> Assemble(IEnumerable<byte[]> packets, ReceiveStreamConfig? config = null) =>
        Assemble(packets, config, out _);
}
