using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Spead2.Send.Pacing;

/// <summary>
/// Sleeps until a <see cref="Stopwatch"/> timestamp with microsecond-level precision.
/// </summary>
/// <remarks>
/// .NET's own sleeps and timers have millisecond granularity, far too coarse for pacing (a 64 KiB burst at 1 Gb/s
/// lasts 524 µs). Long waits use an monitor wait that a wake can cut short until about 2 ms before the deadline. On 64-bit Linux
/// the rest is a nanosleep that ends <see cref="SpinMargin"/> early, then a spin; the writer thread's timer slack is
/// also lowered (50 µs by default), which on the build machine cut nanosleep's mean oversleep from ~70 µs to ~20 µs.
/// Elsewhere the last 2 ms are spent yielding. Any oversleep left is made up by the pacer's catch-up rate, so
/// precision here only has to be good, not perfect.
/// </remarks>
internal sealed partial class SystemClockSleeper : Sleeper
{
    private const int PrSetTimerSlack = 29;

    // nanosleep oversleeps by tens of microseconds; end it this long before the deadline and spin.
    private static readonly long SpinMargin = Stopwatch.Frequency / 10_000; // 100 µs

    // Waits longer than this start with a millisecond monitor wait, which a wake can cut short.
    private static readonly long MonitorThreshold = Stopwatch.Frequency / 1000 * 3; // 3 ms

    // Longest single nanosleep: bounds how late a wake is noticed in the precise phase of a sleep.
    private static readonly long MaxSlice = Stopwatch.Frequency / 5_000; // 200 µs

    private static readonly bool UseNanosleep = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private readonly object _gate = new();
    private bool _nanosleepWorks = UseNanosleep;

    public override void AttachToCurrentThread()
    {
        if (_nanosleepWorks)
        {
            try
            {
                // Best effort: 1 µs slack for this thread only. A failure just leaves the default.
                _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                _nanosleepWorks = false;
            }
        }
    }

    protected override bool SleepCore(long timestamp)
    {
        while (!WakeRequested)
        {
            long remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return true;
            }
            if (remaining > MonitorThreshold)
            {
                // Divided first: a sleep without deadline (long.MaxValue) must not overflow.
                int ms = (int)Math.Min(int.MaxValue, remaining / (Stopwatch.Frequency / 1000) - 2);
                lock (_gate)
                {
                    if (!WakeRequested)
                    {
                        Monitor.Wait(_gate, ms);
                    }
                }
            }
            else if (remaining > SpinMargin && _nanosleepWorks)
            {
                // May return early (a signal): the loop handles it. Slices keep a wake's latency below MaxSlice
                // while the thread waits without a monitor.
                Nanosleep((long)(Math.Min(remaining - SpinMargin, MaxSlice) * (1e9 / Stopwatch.Frequency)));
            }
            else if (remaining > SpinMargin)
            {
                Thread.Yield();
            }
            else
            {
                // SpinWait(n) keeps the core but is polite to a hyperthread sibling.
                Thread.SpinWait(20);
            }
        }
        return false;
    }

    protected override void WaitCoarseCore(int milliseconds)
    {
        lock (_gate)
        {
            if (!WakeRequested)
            {
                Monitor.Wait(_gate, milliseconds);
            }
        }
    }

    protected override void Signal()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }

    private void Nanosleep(long ns)
    {
        try
        {
            NanosleepCore(ns);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _nanosleepWorks = false;
        }
    }

    private static unsafe void NanosleepCore(long ns)
    {
        // struct timespec { time_t tv_sec; long tv_nsec; } is two 64-bit fields on 64-bit Linux.
        long* ts = stackalloc long[2];
        ts[0] = ns / 1_000_000_000;
        ts[1] = ns % 1_000_000_000;
        _ = NativeNanosleep(ts, null);
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static unsafe partial int NativeNanosleep(long* request, long* remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
