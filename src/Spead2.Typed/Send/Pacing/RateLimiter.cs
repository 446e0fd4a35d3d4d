using System.Runtime.CompilerServices;

namespace Spead2.Send.Pacing;

/// <summary>
/// The send pacer: decides, packet by packet, whether the writer may transmit now or must sleep.
/// </summary>
/// <remarks>
/// <para>
/// Packets go out in bursts of at least <c>burstSize</c> bytes (a burst ends at the first packet
/// boundary at or after it) with no clock reads or sleeps inside a burst. Between bursts the next
/// burst may start at the later of two lower bounds:
/// </para>
/// <list type="bullet">
/// <item><description><c>sendTime</c> (standard rate): advanced by the burst's weighted size only,
/// whatever the real send times were, so it encodes the long-run average;</description></item>
/// <item><description><c>sendTimeBurst</c> (catch-up rate): the time the previous burst was actually
/// released plus its weighted size divided by the burst-rate ratio, so a sender that fell behind
/// (for example after the OS overslept it) catches up at <c>rate × ratio</c> instead of in one
/// large back-to-back burst.</description></item>
/// </list>
/// <para>
/// A packet's weight is its size times its heap's wait-per-byte (ticks per byte, 0 for unlimited
/// heaps), so per-heap rates mix freely. After the sender was idle, <see cref="WakeFromIdle"/> moves
/// the standard bound forward so that the quiet period is not mistaken for oversleeping.
/// All times are in timestamp ticks of the injected <see cref="TimeProvider"/>; deadlines keep a
/// fractional part (<see cref="PreciseTime"/>) so they do not drift.
/// </para>
/// <para>This type is not thread safe: one writer owns it.</para>
/// </remarks>
internal sealed class RateLimiter
{
    private readonly TimeProvider _time;
    private readonly long _burstSize;
    private readonly double _burstRateRatio;

    // Lower bound on the next burst's start from the standard rate.
    private PreciseTime _sendTime;

    // Lower bound on the next burst's start from the catch-up rate; while sleeping, the wake-up time.
    private PreciseTime _sendTimeBurst;

    // Set when Next returned Sleep; cleared once the clock has reached _sendTimeBurst.
    private bool _mustSleep;

    // Bytes and weighted ticks of the burst in progress.
    private long _rateBytes;
    private double _rateWait;

    /// <summary>Creates a pacer whose bounds both start at the provider's current timestamp.</summary>
    /// <param name="time">Clock and timestamp source.</param>
    /// <param name="burstSize">Bytes sent back to back between rate checks (0 checks after every packet).</param>
    /// <param name="burstRateRatio">Catch-up rate as a multiple of the requested rate (≥ 1, finite).</param>
    public RateLimiter(TimeProvider time, long burstSize, double burstRateRatio)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(burstSize);
        if (!double.IsFinite(burstRateRatio) || burstRateRatio < 1.0)
        {
            throw new ArgumentOutOfRangeException(nameof(burstRateRatio), burstRateRatio, "The burst rate ratio must be finite and at least 1.0.");
        }
        _time = time;
        _burstSize = burstSize;
        _burstRateRatio = burstRateRatio;
        var now = new PreciseTime(time.GetTimestamp());
        _sendTime = now;
        _sendTimeBurst = now;
    }

    /// <summary>Lower bound on the next burst from the standard rate (for tests and diagnostics).</summary>
    internal PreciseTime SendTime => _sendTime;

    /// <summary>Lower bound on the next burst from the catch-up rate (for tests and diagnostics).</summary>
    internal PreciseTime SendTimeBurst => _sendTimeBurst;

    /// <summary>
    /// Converts a rate in bytes per second to the weight of one byte in timestamp ticks
    /// (0 when <paramref name="bytesPerSecond"/> is 0, meaning unlimited).
    /// </summary>
    public static double WaitPerByte(double bytesPerSecond, long timestampFrequency)
    {
        if (!double.IsFinite(bytesPerSecond) || bytesPerSecond < 0.0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), bytesPerSecond, "The rate must be finite and non-negative.");
        }
        return bytesPerSecond == 0.0 ? 0.0 : timestampFrequency / bytesPerSecond;
    }

    /// <summary>
    /// Decides whether the next packet may go now.
    /// </summary>
    /// <param name="packetAvailable">Whether the writer has a packet to send.</param>
    /// <param name="wakeTimestamp">For <see cref="PacingResult.Sleep"/>, the timestamp to sleep until
    /// (a whole tick; the fraction is kept internally). Otherwise 0.</param>
    /// <returns><see cref="PacingResult.Success"/> when the caller should take the packet and then call
    /// <see cref="Account"/>; <see cref="PacingResult.Sleep"/> when it must wait; <see cref="PacingResult.Empty"/>
    /// when the pacer would allow a packet but there is none.</returns>
    public PacingResult Next(bool packetAvailable, out long wakeTimestamp)
    {
        if (_mustSleep)
        {
            long now = _time.GetTimestamp();
            if (now < _sendTimeBurst.Coarse)
            {
                wakeTimestamp = _sendTimeBurst.Coarse;
                return PacingResult.Sleep;
            }
            _mustSleep = false;
        }
        if (_rateBytes >= _burstSize)
        {
            long now = _time.GetTimestamp();
            long target = EndBurst(now);
            if (now < target)
            {
                _mustSleep = true;
                wakeTimestamp = target;
                return PacingResult.Sleep;
            }
        }
        wakeTimestamp = 0;
        return packetAvailable ? PacingResult.Success : PacingResult.Empty;
    }

    /// <summary>
    /// Whether <see cref="Next"/> would allow another packet at once without reading the clock: no pause is pending
    /// and the current burst is not full.
    /// </summary>
    public bool InBurst
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => !_mustSleep && _rateBytes < _burstSize;
    }

    /// <summary>Counts a packet that <see cref="Next"/> allowed towards the current burst.</summary>
    /// <param name="bytes">Size of the packet (whole SPEAD packet).</param>
    /// <param name="waitPerByte">Its heap's weight in ticks per byte (see <see cref="WaitPerByte"/>).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Account(int bytes, double waitPerByte)
    {
        _rateBytes += bytes;
        _rateWait += bytes * waitPerByte;
    }

    /// <summary>
    /// Tells the pacer that the writer found nothing to send and has just been given work again.
    /// Moves the standard bound up to "now minus the unfinished burst's weight", so the idle time is
    /// not caught up at the burst rate.
    /// </summary>
    public void WakeFromIdle()
    {
        long now = _time.GetTimestamp();
        // The weight is truncated to whole ticks: "now" has no fraction to begin with.
        long backdate = now - (long)_rateWait;
        _sendTime = PreciseTime.Max(_sendTime, new PreciseTime(backdate));
    }

    // Closes the burst in progress: advances both bounds and returns the coarse start time of the
    // next burst. _sendTimeBurst becomes the time the next burst will really be released.
    private long EndBurst(long now)
    {
        _sendTimeBurst = _sendTimeBurst.Add(_rateWait / _burstRateRatio);
        _sendTime = _sendTime.Add(_rateWait);
        _rateBytes = 0;
        _rateWait = 0.0;
        PreciseTime target = PreciseTime.Max(_sendTimeBurst, _sendTime);
        _sendTimeBurst = PreciseTime.Max(new PreciseTime(now), target);
        return target.Coarse;
    }
}
