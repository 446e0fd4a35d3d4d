namespace Spead2.Recv;

/// <summary>
/// A snapshot of a receiver's counters. Every packet a reader took from the OS is in exactly one of
/// three places: <see cref="MalformedPackets"/> (not decodable, or a datagram over the size limit),
/// <see cref="RejectedPackets"/> (decodable but refused by heap assembly, broken down by the
/// <c>Rejected…</c> properties), or accepted into a heap (<see cref="Packets"/> minus
/// <see cref="RejectedPackets"/>). Every heap that left the receiver is in <see cref="Heaps"/> or
/// <see cref="IncompleteHeaps"/>. Datagrams the OS dropped before any reader saw them are in
/// <see cref="KernelDroppedPackets"/> where the OS says so.
/// </summary>
/// <param name="Heaps">Heaps delivered whole (complete, or contiguous when evicted or flushed).</param>
/// <param name="IncompleteHeaps">Heaps that left the receiver with payload missing: delivered
/// flagged when <see cref="ReceiveStreamConfig.DeliverIncompleteHeaps"/> is set, dropped otherwise.
/// Equal to the incomplete ones among <see cref="IncompleteHeapsEvicted"/> and
/// <see cref="IncompleteHeapsFlushed"/>; each such heap says which in
/// <see cref="ReceivedHeap.IncompleteReason"/>.</param>
/// <param name="IncompleteHeapsEvicted">Heaps pushed out of their slot by a newer heap before they
/// completed, whole or not (spead2's counter of the same name; contiguous unsized heaps count here
/// too). With a sender that sends heaps one after another, an evicted heap is one whose remaining
/// packets were lost.</param>
/// <param name="IncompleteHeapsFlushed">Heaps still open when the stream stopped or was flushed.</param>
/// <param name="Packets">Well-formed packets offered to heap assembly (accepted plus rejected).</param>
/// <param name="Bytes">Bytes of those packets, headers included.</param>
/// <param name="MalformedPackets">Packets that failed decoding (bad header, lengths, missing
/// specials, datagrams over the reader's maximum packet size or with bytes after their packet), plus
/// each loss of framing in a byte stream.</param>
/// <param name="RejectedPackets">Well-formed packets that assembly refused; the sum of
/// <see cref="RejectedOutOfOrder"/>, <see cref="RejectedDuplicates"/>, <see cref="RejectedInconsistent"/>,
/// <see cref="RejectedOverLimits"/> and <see cref="RejectedUnsized"/>.</param>
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
    long SkippedBytes)
{
    /// <summary>
    /// Packets refused because, with <see cref="ReceiveStreamConfig.AllowOutOfOrder"/> off, their payload
    /// did not start where the heap's received bytes ended. On a lossy UDP link this is where loss
    /// shows: once a packet of a heap is lost, every later packet of that heap lands here (or, if the
    /// heap's first packet was lost, all of them do), and the heap ends up incomplete.
    /// </summary>
    public long RejectedOutOfOrder { get; init; }

    /// <summary>
    /// Out-of-order mode: packets whose payload overlaps bytes already received for their heap
    /// (a duplicated or overlapping packet).
    /// </summary>
    public long RejectedDuplicates { get; init; }

    /// <summary>
    /// Packets that contradict their heap: a different HEAP_LENGTH, a HEAP_LENGTH below data already
    /// addressed, or a different flavour (heap address bits).
    /// </summary>
    public long RejectedInconsistent { get; init; }

    /// <summary>
    /// Packets over the receiver's memory guards: a heap over <see cref="ReceiveStreamConfig.MaxHeapSize"/>,
    /// more item pointers than <see cref="ReceiveStreamConfig.MaxHeapPointers"/>, or (out of order) payload
    /// split into too many pieces.
    /// </summary>
    public long RejectedOverLimits { get; init; }

    /// <summary>Packets without HEAP_LENGTH while <see cref="ReceiveStreamConfig.AllowUnsizedHeaps"/> is off.</summary>
    public long RejectedUnsized { get; init; }

    /// <summary>
    /// Datagrams the OS dropped for the readers' sockets before they were read, almost always because
    /// the socket receive buffer was full (the receiver fell behind; a larger buffer or a faster
    /// consumer helps). Reported by Linux to the batched UDP path (SO_RXQ_OVFL); 0 where not known.
    /// Linux counts what it drops as it queues it: a run of datagrams that reaches the socket as one
    /// (merged by the sender's GSO and kept whole for a GRO socket, as over loopback) counts once, so
    /// the datagrams lost can be several times this number (up to 64 KiB of them per count).
    /// Loss elsewhere (on the wire, in a switch, at the sender) is invisible to a receiver: it shows
    /// only as incomplete heaps and rejected packets.
    /// </summary>
    public long KernelDroppedPackets { get; init; }
}
