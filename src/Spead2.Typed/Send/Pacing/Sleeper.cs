namespace Spead2.Send.Pacing;

/// <summary>Blocks the writer thread until a timestamp of the pacer's clock, unless interrupted.</summary>
internal abstract class Sleeper : IDisposable
{
    private volatile bool _interrupted;

    /// <summary>
    /// The sleeper suited to <paramref name="time"/>: a precise one for the system clock,
    /// a timer-driven one for any other provider (such as a fake clock in tests).
    /// </summary>
    public static Sleeper Create(TimeProvider time) =>
        ReferenceEquals(time, TimeProvider.System) ? new SystemClockSleeper() : new TimerSleeper(time);

    /// <summary>Whether <see cref="Interrupt"/> has been called.</summary>
    public bool IsInterrupted => _interrupted;

    /// <summary>
    /// Returns once the clock has reached <paramref name="timestamp"/>, or soon after <see cref="Interrupt"/>.
    /// </summary>
    public abstract void SleepUntil(long timestamp);

    /// <summary>Ends the current sleep and makes later ones return at once (the stream is shutting down).</summary>
    public void Interrupt()
    {
        _interrupted = true;
        Wake();
    }

    /// <summary>Called once on the writer thread before its first sleep.</summary>
    public virtual void AttachToCurrentThread()
    {
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }

    /// <summary>Wakes a sleeping thread so it notices <see cref="IsInterrupted"/>.</summary>
    protected abstract void Wake();
}

/// <summary>
/// Sleeps on a timer of an arbitrary <see cref="TimeProvider"/>; exact for a fake clock.
/// </summary>
internal sealed class TimerSleeper : Sleeper
{
    private readonly TimeProvider _time;
    private readonly ManualResetEventSlim _fired = new(false);
    private readonly ITimer _timer;

    public TimerSleeper(TimeProvider time)
    {
        _time = time;
        _timer = time.CreateTimer(static s => ((TimerSleeper)s!)._fired.Set(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public override void SleepUntil(long timestamp)
    {
        while (!IsInterrupted)
        {
            long now = _time.GetTimestamp();
            if (now >= timestamp)
            {
                return;
            }
            TimeSpan delay = _time.GetElapsedTime(now, timestamp);
            if (delay <= TimeSpan.Zero)
            {
                // The provider's ticks are finer than TimeSpan's: wait the smallest step.
                delay = new TimeSpan(1);
            }
            _fired.Reset();
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
            if (_time.GetTimestamp() != now)
            {
                // The clock moved between reading it and arming the timer (a test advancing a fake clock), so the
                // timer may be due too late: arm it again from the new time. A wake-up that comes early just loops.
                continue;
            }
            if (IsInterrupted)
            {
                return;
            }
            _fired.Wait();
        }
    }

    protected override void Wake() => _fired.Set();

    public override void Dispose()
    {
        _timer.Dispose();
        _fired.Dispose();
    }
}
