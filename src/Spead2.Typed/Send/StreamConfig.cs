using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Spead2.Send;

/// <summary>How a stream limits its rate. Every transport of this library limits in software.</summary>
public enum RateMethod
{
    /// <summary>Software rate limiting.</summary>
    Sw,

    /// <summary>Hardware rate limiting; only spead2's ibverbs transport has it, so streams here fall back to software.</summary>
    Hw,

    /// <summary>Let the stream choose (software for every transport here).</summary>
    Auto,
}

/// <summary>
/// Configuration shared by all send streams, with spead2's defaults. Every setter validates its value and names the
/// limit it broke.
/// </summary>
public sealed class StreamConfig
{
    /// <summary>spead2's default maximum packet size, 1472 bytes (a 1500-byte Ethernet MTU less IPv4 and UDP headers).</summary>
    public const int DefaultMaxPacketSize = 1472;

    /// <summary>spead2's default burst size, 65536 bytes.</summary>
    public const int DefaultBurstSize = 65536;

    /// <summary>spead2's default number of heaps in flight, 4.</summary>
    public const int DefaultMaxHeaps = 4;

    /// <summary>spead2's default catch-up ratio, 1.05.</summary>
    public const double DefaultBurstRateRatio = 1.05;

    /// <summary>The smallest usable packet: the 40-byte prefix, one item pointer and 8 payload bytes.</summary>
    public const int MinPacketSize = 56;

    private int _maxPacketSize = DefaultMaxPacketSize;
    private double _rate;
    private long _burstSize = DefaultBurstSize;
    private int _maxHeaps = DefaultMaxHeaps;
    private double _burstRateRatio = DefaultBurstRateRatio;
    private RateMethod _rateMethod = RateMethod.Auto;

    /// <summary>Largest packet in bytes (SPEAD bytes only, not IP/UDP headers); rounded down to a multiple of 8 when used.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than <see cref="MinPacketSize"/>.</exception>
    public int MaxPacketSize
    {
        get => _maxPacketSize;
        set
        {
            if ((value & ~7) < MinPacketSize)
                throw new ArgumentOutOfRangeException(nameof(MaxPacketSize), value, $"The packet size is too small: at least {MinPacketSize} bytes are needed.");
            _maxPacketSize = value;
        }
    }

    /// <summary>Target rate in bytes per second of SPEAD packets, or 0 to send as fast as possible.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, infinite or NaN.</exception>
    public double Rate
    {
        get => _rate;
        set
        {
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(Rate), value, "The rate must be finite and at least 0 (0 = unlimited).");
            _rate = value;
        }
    }

    /// <summary>Bytes sent back to back between rate checks.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public long BurstSize
    {
        get => _burstSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(BurstSize));
            _burstSize = value;
        }
    }

    /// <summary>Heaps that may be queued or in flight at once; more are rejected.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxHeaps
    {
        get => _maxHeaps;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxHeaps));
            _maxHeaps = value;
        }
    }

    /// <summary>Catch-up rate as a ratio of <see cref="Rate"/>, used after the sender fell behind.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1, infinite or NaN.</exception>
    public double BurstRateRatio
    {
        get => _burstRateRatio;
        set
        {
            if (!(value >= 1.0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(BurstRateRatio), value, "The burst rate ratio must be finite and at least 1.0.");
            _burstRateRatio = value;
        }
    }

    /// <summary>The rate-limiting method.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined value.</exception>
    public RateMethod RateMethod
    {
        get => _rateMethod;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(RateMethod), value, "Unknown rate method.");
            _rateMethod = value;
        }
    }

    /// <summary>
    /// Whether continuations of the stream's tasks (<see cref="SendStream.SendHeapAsync"/>,
    /// <see cref="SendStream.SendHeapsAsync"/>) may run on the stream's writer thread, the way spead2's C++ callbacks
    /// run on its I/O thread. Default false: they run on the pool's completion thread, which keeps the writer going
    /// whatever the continuation does, at the cost of a hand-off to that thread. (For a sender loop whose
    /// continuations are short, on a stream with a pool of its own, that thread also sends for the stream, so the
    /// loop runs on one thread either way; a continuation that then blocks holds the stream's sending up until a pool
    /// thread takes it back, at most 10 ms.)
    /// </summary>
    /// <remarks>
    /// By default the continuations of all the heaps one batch of packets finished run one after another on the
    /// completion thread (one hand-off per batch, not per heap). Turn this on when what follows
    /// <c>await stream.SendHeapAsync(...)</c> is short (typically: refill a heap and queue it again): it saves that
    /// hand-off too. While a continuation runs, the I/O thread sends nothing (for any stream of its pool), so
    /// anything slow in it stalls them. Blocking calls that wait for a stream of the same pool
    /// (<see cref="SendStream.SendHeap"/>, <see cref="SendStream.SendHeaps"/>, <see cref="SendStream.Flush"/>) throw
    /// <see cref="InvalidOperationException"/> on the I/O thread instead of deadlocking. A heap cancelled before it
    /// was sent completes on the completion thread either way (on the .NET thread pool for a
    /// <see cref="TcpStream"/>, whose sends may wait on the completion thread while the peer does not read; never
    /// inline in the code that cancels the token). A
    /// captured <see cref="SynchronizationContext"/> or <see cref="TaskScheduler"/> is still honoured.
    /// </remarks>
    public bool AllowSynchronousContinuations { get; set; }

    /// <summary>
    /// The I/O threads that send this stream's packets (spead2's <c>thread_pool</c>), shared with the other streams
    /// given the same pool; null (the default) gives the stream a private pool of one thread.
    /// </summary>
    /// <remarks>
    /// The pool must outlive the stream (see <see cref="IOThreadPool"/> for the lifetime rules), and the stream paces
    /// with the pool's clock: a stream constructed with a different <see cref="TimeProvider"/> throws
    /// <see cref="ArgumentException"/>. <see cref="Clone"/> keeps the same pool.
    /// </remarks>
    public IOThreadPool? ThreadPool { get; set; }

    /// <summary>
    /// Where the stream's warnings and errors go (category <c>Spead2.Send.SendStream</c>): a full queue, a socket
    /// buffer the OS would not grant, a failed writer. Null (the default) logs nothing. The same property as
    /// <see cref="Recv.ReceiveStreamConfig.LoggerFactory"/> on the receive side.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Creates the meter (<c>Spead2.Send</c>) of the stream's counters: <c>spead2.send.heaps</c>, <c>.packets</c>,
    /// <c>.bytes</c>, <c>.packet_errors</c> and <c>.heaps_dropped</c>. Null (the default) puts them on a meter the
    /// library owns. Every measurement is tagged <c>spead2.stream</c> with <see cref="StreamName"/>.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// The value of the <c>spead2.stream</c> tag on the stream's measurements; null (the default) gives a number
    /// unique in the process.
    /// </summary>
    public string? StreamName { get; set; }

    /// <summary>The catch-up rate, <see cref="Rate"/> × <see cref="BurstRateRatio"/>.</summary>
    public double BurstRate => _rate * _burstRateRatio;

    /// <summary>A copy, so that a stream is not affected by later changes to the caller's object.</summary>
    public StreamConfig Clone() => (StreamConfig)MemberwiseClone();

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        FormattableString.Invariant($"StreamConfig(MaxPacketSize={MaxPacketSize}, Rate={Rate}, BurstSize={BurstSize}, MaxHeaps={MaxHeaps}, BurstRateRatio={BurstRateRatio}, RateMethod={RateMethod}, AllowSynchronousContinuations={AllowSynchronousContinuations}, ThreadPool={(ThreadPool is null ? "private" : ThreadPool.ThreadCount + " thread(s)")})");
}
