using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Settings of a receiver (spead2's receive stream config). Defaults match spead2 except
/// <see cref="MaxHeapSize"/>, a memory guard spead2 does not have. Setters validate.
/// </summary>
public sealed class ReceiveStreamConfig
{
    /// <summary>Default <see cref="MaxHeaps"/> (spead2's default).</summary>
    public const int DefaultMaxHeaps = 4;

    /// <summary>Default <see cref="MaxHeapSize"/>: 64 MiB.</summary>
    public const long DefaultMaxHeapSize = 64L << 20;

    /// <summary>Default <see cref="RingHeaps"/> (spead2's ring stream default).</summary>
    public const int DefaultRingHeaps = 4;

    /// <summary>Default <see cref="MaxHeapPointers"/>.</summary>
    public const int DefaultMaxHeapPointers = 1 << 16;

    /// <summary>Largest accepted <see cref="MaxHeaps"/>.</summary>
    public const int MaxMaxHeaps = 65536;

    private int _maxHeaps = DefaultMaxHeaps;
    private long _maxHeapSize = DefaultMaxHeapSize;
    private int _ringHeaps = DefaultRingHeaps;
    private BugCompat _bugCompat;
    private int _maxHeapPointers = DefaultMaxHeapPointers;
    private int _substreams = 1;

    /// <summary>
    /// Heaps assembled at once. A packet of a new heap takes the next slot in turn and evicts the
    /// heap there, so a sender interleaving more heaps than this loses heaps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in 1..<see cref="MaxMaxHeaps"/>.</exception>
    public int MaxHeaps
    {
        get => _maxHeaps;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxHeaps));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxMaxHeaps, nameof(MaxHeaps));
            _maxHeaps = value;
        }
    }

    /// <summary>
    /// Largest heap payload accepted, in bytes. Packets of a heap that declares a larger
    /// HEAP_LENGTH, or that reach past this size, are rejected. Bounds memory at roughly
    /// <see cref="MaxHeaps"/> × <see cref="Substreams"/> × this value however hostile the input (a heap reserves its
    /// declared length up to 1 MiB at once and grows beyond that only as data arrives).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in 1..<see cref="Array.MaxLength"/>.</exception>
    public long MaxHeapSize
    {
        get => _maxHeapSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxHeapSize));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.MaxLength, nameof(MaxHeapSize));
            _maxHeapSize = value;
        }
    }

    /// <summary>
    /// Groups of <see cref="MaxHeaps"/> slots (spead2's substreams): a heap goes to group
    /// <c>cnt % Substreams</c>, so senders whose cnts differ in that remainder (for example
    /// interleaved cnt sequences) cannot evict each other's heaps. Default 1.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1, or more than <see cref="MaxMaxHeaps"/> slots in all.</exception>
    public int Substreams
    {
        get => _substreams;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Substreams));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxMaxHeaps, nameof(Substreams));
            _substreams = value;
        }
    }

    /// <summary>
    /// Most distinct item pointers one heap may collect (a memory guard spead2 does not have:
    /// packets may carry no payload, so otherwise a heap could collect pointers forever). A packet
    /// that would exceed it is rejected. The default, 65536, is far above what spead2 senders
    /// produce (a 9000-byte packet holds at most 1119).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxHeapPointers
    {
        get => _maxHeapPointers;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxHeapPointers));
            _maxHeapPointers = value;
        }
    }

    /// <summary>
    /// Heaps delivered but not yet consumed before readers wait for the consumer (spead2's ring
    /// size). While they wait, a UDP reader's socket buffer fills and then the OS drops datagrams.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int RingHeaps
    {
        get => _ringHeaps;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(RingHeaps));
            _ringHeaps = value;
        }
    }

    /// <summary>
    /// Hands each heap to this callback instead of a ring: on the thread of the reader that finished it, as spead2's
    /// C++ <c>recv::stream</c> calls <c>heap_ready</c>. Null (the default) keeps the ring: heaps are then read with
    /// <c>await foreach</c> or <see cref="ReceiveStream.ReadAsync"/>, which a stream with a callback refuses. No heap
    /// waits in a ring and no thread hand-off happens, so a callback that keeps up costs the least CPU per heap (the
    /// <c>recv</c> command counts heaps this way unless given <c>--ring</c>, as <c>spead2_recv</c> does).
    /// </summary>
    /// <remarks>
    /// Called once per heap, in the order the heaps are finished, one call at a time even with several readers. The
    /// heap belongs to the callback (dispose it to recycle its buffer), also when the callback throws. The reader does
    /// not receive while the callback runs, so a slow callback costs packets, as in spead2. An exception thrown by the
    /// callback stops the stream, the callback is not called again, and <see cref="ReceiveStream.Completion"/> faults
    /// with it. The callback may call <see cref="ReceiveStream.Stop"/>, but must not dispose the stream (disposal waits
    /// for the readers, one of which is running the callback). <see cref="RingHeaps"/> does not apply.
    /// </remarks>
    public Action<ReceivedHeap>? HeapReady { get; set; }

    /// <summary>
    /// Accept a heap's packets in any order (overlapping or duplicate payload is still rejected).
    /// Off by default, as in spead2: packets must then arrive in payload order, starting at 0.
    /// </summary>
    public bool AllowOutOfOrder { get; set; }

    /// <summary>Accept packets without HEAP_LENGTH (default true, as spead2).</summary>
    public bool AllowUnsizedHeaps { get; set; } = true;

    /// <summary>Stop the stream when a stream-control stop item arrives (default true, as spead2).</summary>
    public bool StopOnStopItem { get; set; } = true;

    /// <summary>
    /// Deliver heaps that are missing payload, flagged with <see cref="ReceivedHeap.IsComplete"/>
    /// false and holding only their immediates. Off by default: they are dropped and counted.
    /// </summary>
    public bool DeliverIncompleteHeaps { get; set; }

    /// <summary>
    /// Bug-compatibility bits used to decode descriptors (they are not on the wire, so the
    /// receiver must be told).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Unknown bits.</exception>
    public BugCompat BugCompat
    {
        get => _bugCompat;
        set
        {
            if ((value & ~BugCompat.PySpead052) != 0)
                throw new ArgumentOutOfRangeException(nameof(BugCompat), value, "Unknown bug-compatibility bits.");
            _bugCompat = value;
        }
    }

    /// <summary>
    /// Where the stream's warnings go (category <c>Spead2.Recv.ReceiveStream</c>): dropped incomplete heaps, reader
    /// faults, a socket buffer the OS would not grant. Null (the default) logs nothing. The same property as
    /// <see cref="Send.StreamConfig.LoggerFactory"/> on the send side.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Creates the meter (<c>Spead2.Recv</c>) of the stream's observable counters (one per
    /// <see cref="ReceiveStatistics"/> counter). Null (the default) gives the stream a meter of its own, disposed with
    /// it. Every measurement is tagged <c>spead2.stream</c> with <see cref="StreamName"/>, as on the send side.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// The value of the <c>spead2.stream</c> tag on the stream's measurements; null (the default) gives a number
    /// unique in the process.
    /// </summary>
    public string? StreamName { get; set; }

    /// <summary>A copy, so that a running receiver is not affected by later changes.</summary>
    internal ReceiveStreamConfig Clone() => (ReceiveStreamConfig)MemberwiseClone();
}
