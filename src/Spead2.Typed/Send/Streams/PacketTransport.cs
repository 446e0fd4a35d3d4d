namespace Spead2.Send;

/// <summary>One packet of a batch handed to a <see cref="PacketTransport"/>: a slice of the batch buffer.</summary>
/// <param name="Offset">Start of the packet in the batch buffer.</param>
/// <param name="Length">Length of the packet in bytes.</param>
/// <param name="SubstreamIndex">The destination.</param>
internal readonly record struct PacketSpan(int Offset, int Length, int SubstreamIndex);

/// <summary>
/// Where a <see cref="SendStream"/>'s writer puts packets: UDP sockets, a TCP connection, memory, in-process queues.
/// </summary>
/// <remarks>
/// The writer calls <see cref="Send"/> from its own thread only, with up to a few dozen packets at a time laid out
/// back to back in one buffer, so a transport can hand a whole batch to the OS in one system call (sendmmsg, UDP
/// GSO) and per-packet work needs no allocation. Packets of one batch may belong to several heaps and substreams
/// and must be sent in order.
/// </remarks>
internal abstract class PacketTransport : IDisposable
{
    protected PacketTransport(int numSubstreams)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numSubstreams, 1);
        NumSubstreams = numSubstreams;
    }

    /// <summary>Number of destinations; substream indices are below this.</summary>
    public int NumSubstreams { get; }

    /// <summary>
    /// Sends <paramref name="packets"/> in order. For each packet that could not be sent, stores the reason (an
    /// <see cref="IOException"/>) in the matching element of <paramref name="errors"/> and goes on with the next;
    /// elements for packets that were sent are left null. Must not throw for transport failures.
    /// </summary>
    /// <param name="buffer">The memory the packet spans refer to.</param>
    /// <param name="packets">The packets, in order.</param>
    /// <param name="errors">Same length as <paramref name="packets"/>, all null on entry.</param>
    /// <exception cref="NotSupportedException">The transport takes every packet through the batch it returns from
    /// <see cref="CreateGatherBatch"/> (the default implementation).</exception>
    public virtual void Send(ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors) =>
        throw new NotSupportedException($"{GetType().Name} sends through its gather batch only.");

    /// <summary>
    /// A batch the writer fills directly: from <see cref="Native.HeapBatching.GatherMinPacketSize"/> up with headers
    /// in its scratch and payload by reference into the (pinned) heaps, below that with whole packets copied into its
    /// scratch. Null (the default) to receive packets copied into a buffer through <see cref="Send"/> instead. Called
    /// once by the writer, before it starts.
    /// </summary>
    /// <param name="maxPackets">Most packets the writer puts in one batch.</param>
    /// <param name="packetSize">Largest packet size.</param>
    internal virtual Native.PacketBatch? CreateGatherBatch(int maxPackets, int packetSize) => null;

    /// <summary>Releases OS resources. Called after the writer has stopped.</summary>
    public virtual void Dispose()
    {
    }
}
