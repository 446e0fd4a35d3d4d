namespace Spead2.Recv;

/// <summary>A snapshot of a receiver's counters.</summary>
/// <param name="Heaps">Heaps delivered whole (complete, or contiguous when evicted or flushed).</param>
/// <param name="IncompleteHeaps">Heaps that left the receiver with payload missing: delivered
/// flagged when <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/> is set, dropped otherwise.</param>
/// <param name="IncompleteHeapsEvicted">Heaps pushed out of their slot by a newer heap before they
/// completed (spead2's counter of the same name; contiguous unsized heaps count here too).</param>
/// <param name="IncompleteHeapsFlushed">Heaps still open when the stream stopped or was flushed.</param>
/// <param name="Packets">Well-formed packets offered to heap assembly.</param>
/// <param name="Bytes">Bytes of those packets.</param>
/// <param name="MalformedPackets">Packets that failed decoding (bad header, lengths, missing
/// specials), plus each loss of framing in a byte stream.</param>
/// <param name="RejectedPackets">Well-formed packets that assembly refused: duplicates, out of
/// order, inconsistent with their heap, heaps over the size or pointer limits, payload split into
/// too many pieces, unsized when not allowed.</param>
/// <param name="SkippedBytes">Bytes a byte-stream reader (TCP, buffer) skipped to find the next
/// packet, or skipped because a packet was over the size limit.</param>
public readonly record struct ReceiveStatistics(
    long Heaps,
    long IncompleteHeaps,
    long IncompleteHeapsEvicted,
    long IncompleteHeapsFlushed,
    long Packets,
    long Bytes,
    long MalformedPackets,
    long RejectedPackets,
    long SkippedBytes);
