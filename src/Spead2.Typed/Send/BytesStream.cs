using Spead2.Internal;

namespace Spead2.Send;

/// <summary>
/// A stream that collects packets in memory, concatenated with nothing in between (the same format as a TCP
/// byte stream), as spead2's <c>BytesStream</c> does.
/// </summary>
public sealed class BytesStream
{
    private readonly MemoryStream _buffer = new();
    private readonly byte[] _packet;
    private ulong _nextCnt = 1;
    private ulong _step = 1;

    /// <summary>Creates an empty stream.</summary>
    public BytesStream(StreamConfig? config = null)
    {
        Config = (config ?? new StreamConfig()).Clone();
        _packet = new byte[Config.MaxPacketSize & ~7];
    }

    /// <summary>The stream's configuration (a copy of the one given).</summary>
    public StreamConfig Config { get; }

    /// <summary>Number of substreams (always 1).</summary>
    public int NumSubstreams => 1;

    /// <summary>Appends the packets of <paramref name="heap"/> and returns the number of bytes written.</summary>
    /// <param name="heap">The heap.</param>
    /// <param name="cnt">The heap cnt, or -1 for the next of the automatic sequence.</param>
    /// <param name="substreamIndex">Must be 0.</param>
    /// <param name="rate">Per-heap rate (ignored: a byte stream is not rate limited).</param>
    public long SendHeap(Heap heap, long cnt = -1, int substreamIndex = 0, double rate = -1)
    {
        ArgumentNullException.ThrowIfNull(heap);
        if (substreamIndex != 0)
            ThrowHelper.OutOfRange(nameof(substreamIndex), substreamIndex, "The substream index is out of range: a bytes stream has 1 substream.");
        bool automatic = cnt < 0;
        if (automatic)
            cnt = (long)(_nextCnt & (ulong)heap.Flavour.MaxHeapAddress);
        var gen = new PacketGenerator(heap, cnt, Config.MaxPacketSize);
        if (automatic)
            _nextCnt += _step;
        long total = 0;
        while (gen.HasNextPacket)
        {
            int n = gen.NextPacket(_packet);
            _buffer.Write(_packet, 0, n);
            total += n;
        }
        return total;
    }

    /// <summary>Sets the automatic heap cnt sequence: the next heap gets <paramref name="next"/>, then +<paramref name="step"/> each.</summary>
    public void SetCntSequence(long next, long step)
    {
        if (step == 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, "The cnt step cannot be 0.");
        _nextCnt = (ulong)next;
        _step = (ulong)step;
    }

    /// <summary>A copy of everything sent so far.</summary>
    public byte[] GetValue() => _buffer.ToArray();
}
