using Spead2.Send.Engine;

namespace Spead2.Send.Transports;

/// <summary>
/// The UDP and TCP batch loop: packets go into a <see cref="Native.PacketBatch"/> (sendmmsg with UDP GSO, or
/// sendmsg gather writes, on Linux; a portable socket path elsewhere) and out in as few system calls as the batch
/// allows.
/// </summary>
/// <remarks>
/// Below <see cref="Native.HeapBatching.GatherMinPacketSize"/> each packet is copied whole into the batch's scratch,
/// back to back, so a run of them leaves as one gather entry per GSO message; from that size up the header goes to
/// the scratch and the payload is referenced in the heap's own memory (zero copy), pinned until the batch has been
/// sent (see <see cref="Native.HeapBatching.PreferGather"/> for the measurements behind the threshold). A heap whose
/// whole payload is below that size is copied even then (<see cref="Native.HeapBatching.GatherHeap"/>).
/// </remarks>
internal abstract class SocketBatchTransport : PacketTransport
{
    private Native.PacketBatch? _batch;
    private bool _zeroCopy;

    // Heaps pinned for the current batch (zero copy only), reused from batch to batch.
    private readonly List<Native.PinnedHeap> _pins = [];
    private int _pinned;

    // Small arrays stay pinned across batches (a sender reusing its buffers pins each once).
    private readonly Native.PinCache _pinCache = new();

    protected SocketBatchTransport(int numSubstreams)
        : base(numSubstreams)
    {
    }

    /// <summary>Makes the batch: room for <paramref name="maxPackets"/> packets of up to <paramref name="packetSize"/> bytes.</summary>
    protected abstract Native.PacketBatch CreateBatch(int maxPackets, int packetSize);

    /// <inheritdoc/>
    public override void Open(int packetSize, int maxPackets)
    {
        _batch?.Dispose();
        _batch = CreateBatch(maxPackets, packetSize);
        _zeroCopy = Native.HeapBatching.PreferGather(packetSize);
    }

    /// <inheritdoc/>
    public override void SendBatch(PacketFeed feed)
    {
        Native.PacketBatch batch = _batch!;
        while (batch.Count < batch.MaxPackets && feed.TryNext())
        {
            int index = _zeroCopy && Native.HeapBatching.GatherHeap(feed.Generator.HeapLength)
                ? Native.HeapBatching.AddPacket(batch, ref feed.Generator, Pin(feed.Heap), feed.SubstreamIndex)
                : batch.AddWholePacket(feed.SubstreamIndex, ref feed.Generator);
            feed.Commit(batch.GetLength(index));
        }
        if (batch.Count == 0)
        {
            return;
        }
        try
        {
            batch.Send();
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch.GetError(i) != System.Net.Sockets.SocketError.Success)
                {
                    feed.Fail(i, batch.CreateException(i));
                }
            }
        }
        finally
        {
            batch.Clear();
            for (int i = 0; i < _pinned; i++)
            {
                _pins[i].Unpin();
            }
            _pinned = 0;
            _pinCache.EndBatch();
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _batch?.Dispose();
        _pinCache.Dispose();
    }

    /// <summary>The heap's item memory, pinned until the batch has been sent.</summary>
    private Native.PinnedHeap Pin(Heap heap)
    {
        // Consecutive packets nearly always come from the same heap; round-robin groups cycle through a few.
        for (int i = _pinned - 1; i >= 0; i--)
        {
            if (ReferenceEquals(_pins[i].Heap, heap))
            {
                return _pins[i];
            }
        }
        if (_pinned == _pins.Count)
        {
            _pins.Add(new Native.PinnedHeap());
        }
        Native.PinnedHeap pins = _pins[_pinned++];
        pins.Pin(heap, _pinCache);
        return pins;
    }
}
