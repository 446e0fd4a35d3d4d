using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Spead2;

/// <summary>
/// An unbounded in-process packet queue: the transport of <c>Spead2.Send.InprocStream</c> and the
/// source a consumer reads packets from.
/// </summary>
/// <remarks>
/// Each packet is copied into its own array when added, so packet boundaries survive and the
/// sender may reuse its buffer at once. The queue never blocks or drops: a slow reader only makes
/// it grow. Any number of threads may add packets; packets added by one thread are read in the
/// order that thread added them. Several readers may read concurrently, each getting a disjoint
/// subset of the packets (only useful when every heap fits in one packet). After <see cref="Stop"/>
/// readers still receive every packet added before it and then see the end of the queue.
/// </remarks>
public sealed class InprocQueue
{
    private readonly Channel<byte[]> _channel = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = false });

    private volatile bool _stopped;

    /// <summary>Whether <see cref="Stop"/> has been called.</summary>
    public bool IsStopped => _stopped;

    /// <summary>Number of packets waiting to be read.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Appends a copy of <paramref name="packet"/> to the queue.</summary>
    /// <param name="packet">One whole SPEAD packet.</param>
    /// <exception cref="InvalidOperationException">The queue has been stopped.</exception>
    public void AddPacket(ReadOnlySpan<byte> packet)
    {
        if (!TryAddPacket(packet))
        {
            throw new InvalidOperationException("Cannot add a packet: the in-process queue has been stopped.");
        }
    }

    /// <summary>Appends a copy of <paramref name="packet"/>; false if the queue has been stopped.</summary>
    internal bool TryAddPacket(ReadOnlySpan<byte> packet)
    {
        if (_stopped)
        {
            return false;
        }
        return _channel.Writer.TryWrite(packet.ToArray());
    }

    /// <summary>
    /// Ends the queue: later <see cref="AddPacket"/> calls fail, and readers finish once they have
    /// taken the packets already queued. Calling it again has no effect.
    /// </summary>
    public void Stop()
    {
        _stopped = true;
        _channel.Writer.TryComplete();
    }

    /// <summary>Takes the oldest packet if one is queued.</summary>
    /// <param name="packet">The packet, owned by the caller from now on.</param>
    /// <returns>False when the queue is empty at the moment (stopped or not).</returns>
    public bool TryRead([NotNullWhen(true)] out byte[]? packet) => _channel.Reader.TryRead(out packet);

    /// <summary>
    /// Waits for and takes the oldest packet.
    /// </summary>
    /// <returns>The packet, or <see langword="null"/> once the queue is stopped and drained.</returns>
    public async ValueTask<byte[]?> ReadAsync(CancellationToken cancellationToken = default)
    {
        ChannelReader<byte[]> reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.TryRead(out byte[]? packet))
            {
                return packet;
            }
        }
        return null;
    }

    /// <summary>
    /// Yields the packets in queue order until the queue is stopped and drained.
    /// </summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<byte[]> reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out byte[]? packet))
            {
                yield return packet;
            }
        }
    }
}
