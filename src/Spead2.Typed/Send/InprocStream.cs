using Microsoft.Extensions.Logging;
using Spead2.Send.Engine;

namespace Spead2.Send;

/// <summary>
/// A stream that puts each packet, copied, into an <see cref="InprocQueue"/>: one queue per substream.
/// </summary>
/// <remarks>
/// The queues are unbounded, so no packet is ever lost to a slow reader; heaps can still be dropped when more than
/// <see cref="StreamConfig.MaxHeaps"/> are queued at once. Sending to a stopped queue fails the heap with an
/// <see cref="IOException"/>.
/// </remarks>
public sealed class InprocStream : SendStream
{
    private readonly InprocQueue[] _queues;

    /// <summary>Creates a stream with one substream per queue.</summary>
    /// <param name="queues">The queues; substream <c>i</c> sends to <c>queues[i]</c>.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public InprocStream(IReadOnlyList<InprocQueue> queues, StreamConfig? config = null, TimeProvider? timeProvider = null)
        : this(CheckQueues(queues), config, timeProvider)
    {
    }

    /// <summary>Creates a stream with a single substream.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    public InprocStream(InprocQueue queue, StreamConfig? config = null, TimeProvider? timeProvider = null)
        : this(CheckQueues([queue ?? throw new ArgumentNullException(nameof(queue))]), config, timeProvider)
    {
    }

    private InprocStream(InprocQueue[] queues, StreamConfig? config, TimeProvider? timeProvider)
        : base(new InprocTransport(queues), config, timeProvider)
    {
        _queues = queues;
    }

    /// <summary>The queues, one per substream.</summary>
    public IReadOnlyList<InprocQueue> Queues => _queues;

    private static InprocQueue[] CheckQueues(IReadOnlyList<InprocQueue> queues)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (queues.Count == 0)
        {
            throw new ArgumentException("The queue list must be non-empty.", nameof(queues));
        }
        var copy = new InprocQueue[queues.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = queues[i] ?? throw new ArgumentException($"Queue {i} is null.", nameof(queues));
        }
        return copy;
    }

    private sealed class InprocTransport(InprocQueue[] queues) : CopyingTransport(queues.Length)
    {
        protected override void Send(ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                PacketSpan p = packets[i];
                if (!queues[p.SubstreamIndex].TryAddPacket(buffer.Slice(p.Offset, p.Length)))
                {
                    errors[i] = new IOException($"The in-process queue of substream {p.SubstreamIndex} has been stopped.");
                }
            }
        }
    }
}
