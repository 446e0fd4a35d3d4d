using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Decodes and validates single SPEAD packets with spead2's acceptance rules. Never throws for
/// bad input: the result says what was wrong.
/// </summary>
internal static class PacketDecoder
{
    /// <summary>The top 16 bits of every SPEAD header: magic 0x53 and version 4.</summary>
    internal const int MagicVersion = 0x5304;

    /// <summary>Immediate-mode bit of an item pointer.</summary>
    internal const ulong ImmediateFlag = 1UL << 63;


    /// <summary>
    /// Decodes the packet at the start of <paramref name="data"/>. Bytes after the packet are
    /// allowed unless <paramref name="requireExactLength"/> is set (datagrams and queue entries
    /// must hold exactly one packet).
    /// </summary>
    /// <param name="data">The bytes, starting at a packet header.</param>
    /// <param name="header">The decoded header when the result is <see cref="PacketStatus.Ok"/>.</param>
    /// <param name="requireExactLength">Reject the packet if <paramref name="data"/> has bytes after it.</param>
    /// <returns><see cref="PacketStatus.Ok"/> or the first rule the packet breaks.</returns>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static PacketStatus Decode(ReadOnlySpan<byte> data, out PacketHeader header, bool requireExactLength = false)
    {
        header = default;
        var status = DecodeHeader(data, out int hab, out int pointerCount);
        if (status != PacketStatus.Ok)
            return status;
        if (8 + 8L * pointerCount > data.Length)
            return PacketStatus.PointersOverflow;

        long heapCnt = -1, heapLength = -1, payloadOffset = -1, payloadLength = -1;
        int itemPointers = 0;
        ulong valueMask = (1UL << hab) - 1;
        ReadOnlySpan<byte> pointers = data.Slice(8, 8 * pointerCount);
        int first = 0;
        if (pointers.Length >= 32)
        {
            // Every packet from spead2 (and from us) starts with the four immediates in this order: take them
            // without the general loop's branches. The loop then starts after them, which gives the same result
            // as running it over them (later duplicates still override).
            ulong p0 = BinaryPrimitives.ReadUInt64BigEndian(pointers);
            ulong p1 = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(8));
            ulong p2 = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(16));
            ulong p3 = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(24));
            ulong idMask = ~valueMask;
            ulong mismatch = ((p0 & idMask) ^ (ImmediateFlag | ((ulong)ItemIds.HeapCnt << hab)))
                | ((p1 & idMask) ^ (ImmediateFlag | ((ulong)ItemIds.HeapLength << hab)))
                | ((p2 & idMask) ^ (ImmediateFlag | ((ulong)ItemIds.PayloadOffset << hab)))
                | ((p3 & idMask) ^ (ImmediateFlag | ((ulong)ItemIds.PayloadLength << hab)));
            if (mismatch == 0)
            {
                heapCnt = (long)(p0 & valueMask);
                heapLength = (long)(p1 & valueMask);
                payloadOffset = (long)(p2 & valueMask);
                payloadLength = (long)(p3 & valueMask);
                first = 32;
            }
        }
        for (int i = first; i < pointers.Length; i += 8)
        {
            ulong pointer = BinaryPrimitives.ReadUInt64BigEndian(pointers.Slice(i));
            if ((pointer & ImmediateFlag) == 0)
            {
                itemPointers++;
                continue;
            }
            // Later duplicates of a special item override earlier ones, as in spead2.
            long value = (long)(pointer & valueMask);
            switch (GetId(pointer, hab))
            {
                case ItemIds.HeapCnt: heapCnt = value; break;
                case ItemIds.HeapLength: heapLength = value; break;
                case ItemIds.PayloadOffset: payloadOffset = value; break;
                case ItemIds.PayloadLength: payloadLength = value; break;
                default: itemPointers++; break;
            }
        }
        if (heapCnt < 0)
            return PacketStatus.MissingHeapCnt;
        if (payloadOffset < 0)
            return PacketStatus.MissingPayloadOffset;
        if (payloadLength < 0)
            return PacketStatus.MissingPayloadLength;
        // All terms are below 2^56 + 2^20, so the sum cannot overflow a long.
        long size = 8 + 8L * pointerCount + payloadLength;
        if (size > data.Length)
            return PacketStatus.PayloadOverflow;
        if (requireExactLength && size != data.Length)
            return PacketStatus.LengthMismatch;
        if (heapLength >= 0 && payloadOffset + payloadLength > heapLength)
            return PacketStatus.PayloadBeyondHeap;
        header = new PacketHeader(hab, pointerCount, heapCnt, heapLength, payloadOffset, (int)payloadLength, (int)size, itemPointers);
        return PacketStatus.Ok;
    }

    /// <summary>
    /// Works out the size of the packet at the start of a byte stream (TCP, byte buffers) from its
    /// header and its first immediate PAYLOAD_LENGTH pointer, without validating the rest.
    /// </summary>
    /// <param name="data">Buffered bytes, starting where a packet should start.</param>
    /// <returns>The packet size; 0 if more bytes are needed to tell; -1 if the header is invalid or
    /// has no immediate PAYLOAD_LENGTH (the caller skips 8 bytes and tries again, as spead2 does).</returns>
    public static long GetPacketSize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
            return 0;
        if (DecodeHeader(data, out int hab, out int pointerCount) != PacketStatus.Ok)
            return -1;
        if (8 + 8L * pointerCount > data.Length)
            return 0;
        ulong valueMask = (1UL << hab) - 1;
        for (int i = 0; i < pointerCount; i++)
        {
            ulong pointer = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(8 + 8 * i));
            if ((pointer & ImmediateFlag) != 0 && GetId(pointer, hab) == ItemIds.PayloadLength)
                return 8 + 8L * pointerCount + (long)(pointer & valueMask);
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PacketStatus DecodeHeader(ReadOnlySpan<byte> data, out int hab, out int pointerCount)
    {
        hab = 0;
        pointerCount = 0;
        if (data.Length < 8)
            return PacketStatus.TooShort;
        ulong word = BinaryPrimitives.ReadUInt64BigEndian(data);
        if ((int)(word >> 48) != MagicVersion)
            return PacketStatus.BadMagic;
        int idBytes = (int)(word >> 40) & 0xFF;
        int addressBytes = (int)(word >> 32) & 0xFF;
        if (idBytes == 0 || addressBytes == 0 || idBytes + addressBytes != 8)
            return PacketStatus.BadFlavour;
        hab = addressBytes * 8;
        pointerCount = (int)(word & 0xFFFF);
        return PacketStatus.Ok;
    }

    /// <summary>The item ID of a pointer (the bits between the mode bit and the address field).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long GetId(ulong pointer, int hab) => (long)((pointer & ~ImmediateFlag) >> hab);
}
