using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Spead2.Send.Pacing;

/// <summary>
/// Sleeps until a <see cref="Stopwatch"/> timestamp with microsecond-level precision.
/// </summary>
/// <remarks>
/// .NET's own sleeps and timers have millisecond granularity, far too coarse for pacing
/// (a 64 KiB burst at 1 Gb/s lasts 524 µs). On 64-bit Linux this calls nanosleep for all but the
/// last <see cref="SpinMargin"/> of the wait and spins for the rest; it also lowers the writer
/// thread's timer slack (50 µs by default), which measured on the build machine cut the mean
/// oversleep of nanosleep from ~70 µs to ~20 µs. Elsewhere it sleeps whole milliseconds while more
/// than two remain and spins for the rest. Any oversleep that remains is made up by the pacer's
/// catch-up rate, so precision here only has to be good, not perfect.
/// </remarks>
internal sealed partial class SystemClockSleeper : Sleeper
{
    private const int PrSetTimerSlack = 29;

    // nanosleep oversleeps by tens of microseconds; end it this long before the deadline and spin.
    private static readonly long SpinMargin = Stopwatch.Frequency / 10_000; // 100 µs

    private static readonly bool UseNanosleep = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    public override void AttachToCurrentThread()
    {
        if (UseNanosleep)
        {
            try
            {
                // Best effort: 1 µs slack for this thread only. A failure just leaves the default.
                _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
            }
        }
    }

    public override void SleepUntil(long timestamp)
    {
        while (true)
        {
            long remaining = timestamp - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                return;
            }
            if (remaining > SpinMargin)
            {
                // May return early (a signal, or the portable path's whole milliseconds): loop.
                CoarseSleep(remaining - SpinMargin);
            }
            else
            {
                // SpinWait(n) keeps the core but is polite to a hyperthread sibling.
                Thread.SpinWait(20);
            }
        }
    }

    private static void CoarseSleep(long ticks)
    {
        if (UseNanosleep)
        {
            long ns = (long)(ticks * (1e9 / Stopwatch.Frequency));
            try
            {
                Nanosleep(ns);
                return;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall through to the portable path.
            }
        }
        long ms = ticks * 1000 / Stopwatch.Frequency;
        if (ms >= 2)
        {
            Thread.Sleep((int)Math.Min(ms - 1, int.MaxValue));
        }
        else
        {
            // Less than 2 ms left and no sub-millisecond sleep: yield rather than burn the core.
            Thread.Yield();
        }
    }

    private static unsafe void Nanosleep(long ns)
    {
        // struct timespec { time_t tv_sec; long tv_nsec; } is two 64-bit fields on 64-bit Linux.
        long* ts = stackalloc long[2];
        ts[0] = ns / 1_000_000_000;
        ts[1] = ns % 1_000_000_000;
        // An interrupted sleep (EINTR) returns early; the caller loops.
        _ = NativeNanosleep(ts, null);
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static unsafe partial int NativeNanosleep(long* request, long* remaining);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
