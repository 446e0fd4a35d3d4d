namespace Spead2.Recv;

/// <summary>
/// Outcome of decoding one SPEAD packet with <see cref="PacketDecoder"/>. Anything other than
/// <see cref="Ok"/> means the packet is malformed and is dropped (counted in
/// <see cref="ReceiveStatistics.MalformedPackets"/>).
/// </summary>
internal enum PacketStatus
{
    /// <summary>The packet is valid.</summary>
    Ok = 0,

    /// <summary>Fewer than the 8 header bytes.</summary>
    TooShort,

    /// <summary>The first two bytes are not the SPEAD magic and version 4 (<c>53 04</c>).</summary>
    BadMagic,

    /// <summary>
    /// The header's ID width or address width is zero, or together they are not 8 bytes
    /// (only SPEAD-64-* flavours exist).
    /// </summary>
    BadFlavour,

    /// <summary>The header claims more item pointers than the packet holds.</summary>
    PointersOverflow,

    /// <summary>No immediate HEAP_CNT pointer.</summary>
    MissingHeapCnt,

    /// <summary>No immediate PAYLOAD_OFFSET pointer.</summary>
    MissingPayloadOffset,

    /// <summary>No immediate PAYLOAD_LENGTH pointer.</summary>
    MissingPayloadLength,

    /// <summary>Header, pointers and PAYLOAD_LENGTH add up to more bytes than are available.</summary>
    PayloadOverflow,

    /// <summary>
    /// The packet is shorter than the datagram or queue entry that carried it
    /// (trailing bytes; only checked when an exact length is required).
    /// </summary>
    LengthMismatch,

    /// <summary>PAYLOAD_OFFSET + PAYLOAD_LENGTH exceeds the packet's HEAP_LENGTH.</summary>
    PayloadBeyondHeap,
}
