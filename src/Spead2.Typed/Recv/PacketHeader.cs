namespace Spead2.Recv;

/// <summary>
/// The decoded header of one valid SPEAD packet: its flavour width, the special immediates
/// and where its item pointers and payload sit. Produced by <see cref="PacketDecoder.Decode"/>;
/// the offsets refer to the span that was decoded.
/// </summary>
internal readonly struct PacketHeader
{
    internal PacketHeader(
        int heapAddressBits, int pointerCount, long heapCnt, long heapLength,
        long payloadOffset, int payloadLength, int size, int itemPointerCount)
    {
        ItemPointerCount = itemPointerCount;
        HeapAddressBits = heapAddressBits;
        PointerCount = pointerCount;
        HeapCnt = heapCnt;
        HeapLength = heapLength;
        PayloadOffset = payloadOffset;
        PayloadLength = payloadLength;
        Size = size;
    }

    /// <summary>Heap address bits of the packet's flavour (8 to 56, a multiple of 8).</summary>
    public int HeapAddressBits { get; }

    /// <summary>Number of item pointers, the special ones included.</summary>
    public int PointerCount { get; }

    /// <summary>
    /// Item pointers other than the four immediates that describe the packet (HEAP_CNT, HEAP_LENGTH,
    /// PAYLOAD_OFFSET, PAYLOAD_LENGTH): the ones the heap has to look at. Usually 0 after a heap's first packet.
    /// </summary>
    public int ItemPointerCount { get; }

    /// <summary>The HEAP_CNT immediate: which heap this packet belongs to.</summary>
    public long HeapCnt { get; }

    /// <summary>The HEAP_LENGTH immediate, or -1 if the packet carries none.</summary>
    public long HeapLength { get; }

    /// <summary>The PAYLOAD_OFFSET immediate: where this packet's payload sits in the heap.</summary>
    public long PayloadOffset { get; }

    /// <summary>The PAYLOAD_LENGTH immediate: payload bytes in this packet.</summary>
    public int PayloadLength { get; }

    /// <summary>Total packet size in bytes: 8 + 8 × <see cref="PointerCount"/> + <see cref="PayloadLength"/>.</summary>
    public int Size { get; }

    /// <summary>Offset of the first item pointer (always 8).</summary>
    public int PointersOffset => 8;

    /// <summary>Offset of the payload within the packet.</summary>
    public int PayloadStart => 8 + 8 * PointerCount;
}
