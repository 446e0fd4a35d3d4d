namespace Spead2.Send.Engine;

/// <summary>
/// Where a <see cref="SendStream"/>'s packets go (UDP sockets, a TCP connection, memory, in-process queues), and how
/// they are batched on the way: each transport runs its own batch loop over the packets a <see cref="PacketFeed"/>
/// offers, as each spead2 writer does (<c>send_writer.h</c>).
/// </summary>
/// <remarks>
/// The engine calls <see cref="SendBatch"/> on an I/O thread, one call at a time per stream. The transport decides
/// everything about the batch: how many packets (at most <see cref="PacketFeed.MaxPackets"/>), whether a packet is
/// copied whole or gathered as a header plus references into the heap's own memory, how it reaches the OS, and
/// which packets a failure belongs to. Packets of one batch may belong to several heaps and substreams and must be
/// sent in order.
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
    /// Whether <see cref="SendBatch"/> may wait for as long as the other end likes (TCP flow control). The completion
    /// thread never takes such a stream over nor keeps it between batches (see <see cref="IOWork.DrainMayKeep"/>),
    /// which would hold it up for as long.
    /// </summary>
    public virtual bool MayWaitOnPeer => false;

    /// <summary>Sizes the transport's batch state; called once, before the first <see cref="SendBatch"/>.</summary>
    /// <param name="packetSize">Largest packet the feed will offer, in bytes.</param>
    /// <param name="maxPackets">Most packets the feed offers per batch.</param>
    public abstract void Open(int packetSize, int maxPackets);

    /// <summary>
    /// Takes packets with <see cref="PacketFeed.TryNext"/> until it returns false or the transport's batch is full,
    /// writing each from <see cref="PacketFeed.Generator"/> and booking it with <see cref="PacketFeed.Commit"/>;
    /// sends them in order; and reports each packet that could not be sent with <see cref="PacketFeed.Fail"/> (an
    /// <see cref="IOException"/>). Must not throw for transport failures.
    /// </summary>
    public abstract void SendBatch(PacketFeed feed);

    /// <summary>Releases OS resources. Called after the last batch.</summary>
    public virtual void Dispose()
    {
    }
}

/// <summary>
/// A transport that takes each packet copied whole into one buffer, back to back, and hands the batch over as
/// memory: the byte stream, in-process queues, tests.
/// </summary>
internal abstract class CopyingTransport : PacketTransport
{
    private byte[] _buffer = [];
    private PacketSpan[] _packets = [];
    private Exception?[] _errors = [];
    private int _packetSize;

    protected CopyingTransport(int numSubstreams)
        : base(numSubstreams)
    {
    }

    /// <inheritdoc/>
    public override void Open(int packetSize, int maxPackets)
    {
        _packetSize = packetSize;
        _buffer = new byte[packetSize * maxPackets];
        _packets = new PacketSpan[maxPackets];
        _errors = new Exception?[maxPackets];
    }

    /// <inheritdoc/>
    public override void SendBatch(PacketFeed feed)
    {
        int n = 0;
        int offset = 0;
        while (n < _packets.Length && feed.TryNext())
        {
            int length = feed.Generator.NextPacket(_buffer.AsSpan(offset, _packetSize));
            _packets[n++] = new PacketSpan(offset, length, feed.SubstreamIndex);
            feed.Commit(length);
            offset += length;
        }
        if (n == 0)
        {
            return;
        }
        Span<Exception?> errors = _errors.AsSpan(0, n);
        Send(_buffer.AsSpan(0, offset), _packets.AsSpan(0, n), errors);
        for (int i = 0; i < n; i++)
        {
            if (errors[i] is { } error)
            {
                feed.Fail(i, error);
                errors[i] = null;
            }
        }
    }

    /// <summary>
    /// Delivers <paramref name="packets"/> in order. For each packet that could not be delivered, stores the reason
    /// (an <see cref="IOException"/>) in the matching element of <paramref name="errors"/> and goes on with the next.
    /// Must not throw for transport failures.
    /// </summary>
    /// <param name="buffer">The packets, back to back (the SPEAD byte-stream format).</param>
    /// <param name="packets">Where each packet lies in <paramref name="buffer"/>, and its destination.</param>
    /// <param name="errors">Same length as <paramref name="packets"/>, all null on entry.</param>
    protected abstract void Send(ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors);
}

/// <summary>One packet of a <see cref="CopyingTransport"/> batch: a slice of the batch buffer.</summary>
/// <param name="Offset">Start of the packet in the batch buffer.</param>
/// <param name="Length">Length of the packet in bytes.</param>
/// <param name="SubstreamIndex">The destination.</param>
internal readonly record struct PacketSpan(int Offset, int Length, int SubstreamIndex);
