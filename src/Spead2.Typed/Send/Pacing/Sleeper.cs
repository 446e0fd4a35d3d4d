namespace Spead2.Send.Pacing;

/// <summary>
/// Blocks an I/O thread until a timestamp of the pacer's clock, or until <see cref="Wake"/> is called: how an
/// <see cref="IOThreadPool"/> thread sits out a pacing pause while staying ready for new work.
/// </summary>
/// <remarks>
/// A wake is remembered until the next sleep consumes it, so a <see cref="Wake"/> that races with the start of a
/// sleep is never lost (the sleep then returns at once).
/// </remarks>
internal abstract class Sleeper : IDisposable
{
    private int _wakeRequested;

    /// <summary>
    /// The sleeper suited to <paramref name="time"/>: a precise one for the system clock,
    /// a timer-driven one for any other provider (such as a fake clock in tests).
    /// </summary>
    public static Sleeper Create(TimeProvider time) =>
        ReferenceEquals(time, TimeProvider.System) ? new SystemClockSleeper() : new TimerSleeper(time);

    /// <summary>Whether a <see cref="Wake"/> is waiting to be consumed by the next sleep.</summary>
    protected bool WakeRequested => Volatile.Read(ref _wakeRequested) != 0;

    /// <summary>
    /// Returns true once the clock has reached <paramref name="timestamp"/> (<see cref="long.MaxValue"/>: never), or
    /// false soon after <see cref="Wake"/> (including one that came before this call).
    /// </summary>
    public bool SleepUntil(long timestamp)
    {
        bool reached = SleepCore(timestamp);
        if (!reached)
        {
            Interlocked.Exchange(ref _wakeRequested, 0);
        }
        return reached;
    }

    /// <summary>
    /// Waits up to <paramref name="milliseconds"/> of real time (coarsely, without spinning) or until
    /// <see cref="Wake"/>; false when woken.
    /// </summary>
    public bool WaitCoarse(int milliseconds)
    {
        if (WakeRequested)
        {
            Interlocked.Exchange(ref _wakeRequested, 0);
            return false;
        }
        WaitCoarseCore(milliseconds);
        if (WakeRequested)
        {
            Interlocked.Exchange(ref _wakeRequested, 0);
            return false;
        }
        return true;
    }

    /// <summary>Waits about <paramref name="milliseconds"/> of real time, or less when signalled.</summary>
    protected abstract void WaitCoarseCore(int milliseconds);

    /// <summary>Ends the current sleep (or the next one, if none is in progress).</summary>
    public void Wake()
    {
        Volatile.Write(ref _wakeRequested, 1);
        Signal();
    }

    /// <summary>Sleeps until <paramref name="timestamp"/> or until <see cref="WakeRequested"/>; true if the time was reached.</summary>
    protected abstract bool SleepCore(long timestamp);

    /// <summary>Called once on the sleeping thread before its first sleep.</summary>
    public virtual void AttachToCurrentThread()
    {
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }

    /// <summary>Wakes a sleeping thread so it notices <see cref="WakeRequested"/>.</summary>
    protected abstract void Signal();
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

    protected override bool SleepCore(long timestamp)
    {
        while (!WakeRequested)
        {
            long now = _time.GetTimestamp();
            if (now >= timestamp)
            {
                return true;
            }
            if (timestamp == long.MaxValue)
            {
                // No deadline: only a wake ends this.
                _fired.Reset();
                if (!WakeRequested)
                {
                    _fired.Wait();
                }
                continue;
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
            if (WakeRequested)
            {
                break;
            }
            _fired.Wait();
        }
        return false;
    }

    protected override void Signal() => _fired.Set();

    protected override void WaitCoarseCore(int milliseconds)
    {
        _fired.Reset();
        if (!WakeRequested)
        {
            _fired.Wait(milliseconds);
        }
    }

    public override void Dispose()
    {
        _timer.Dispose();
        _fired.Dispose();
    }
}
