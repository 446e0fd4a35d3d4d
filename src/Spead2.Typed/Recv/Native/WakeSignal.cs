using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Spead2.Recv.Native.LinuxRecvInterop;

namespace Spead2.Recv.Native;

/// <summary>
/// Wakes one sleeping thread (the ring's delivery thread) without holding a lock that the woken thread
/// then needs: an auto-reset signal. On Linux it is a blocking eventfd: <see cref="Set"/> writes to it and
/// <see cref="Wait"/> reads it. Elsewhere, and with <c>SPEAD2_PORTABLE_RECV=1</c>, a <see cref="SemaphoreSlim"/>.
/// </summary>
/// <remarks>
/// Why not <see cref="Monitor.Pulse(object)"/>: a pulse must be given while holding the monitor, and the
/// scheduler usually switches to the woken thread as the waking system call returns, with the monitor
/// still held. On 2 cores, with the receive thread waking the delivery thread for every heap, that made
/// the woken thread spin on the monitor, sleep again and be woken a second time: measured with 1 MiB
/// heaps at 30 Gb/s, about 2.4 involuntary context switches of the receive thread per heap (9,400 for
/// 4,000 heaps; spead2_recv had 10). The eventfd's wake-up is a write that holds no lock of ours.
/// Callers signal only a thread that has said it is going to sleep, so no count builds up: every
/// <see cref="Set"/> is consumed by exactly one <see cref="Wait"/>.
/// </remarks>
internal sealed unsafe class WakeSignal : IDisposable
{
    private int _fd = -1;
    private readonly SemaphoreSlim? _semaphore;

    public WakeSignal(bool portable)
    {
        if (!portable && OperatingSystem.IsLinux())
            _fd = EventFd(0, EfdCloExec);
        if (_fd < 0)
            _semaphore = new SemaphoreSlim(0);
    }

    /// <summary>True when the eventfd is in use (for tests).</summary>
    public bool UsesEventFd => _fd >= 0;

    /// <summary>Wakes the thread in <see cref="Wait"/>, or makes its next call return at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set()
    {
        if (_semaphore is not null)
        {
            _semaphore.Release();
            return;
        }
        ulong one = 1;
        while (Write(_fd, &one, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
                throw new IOException($"write to the delivery thread's eventfd failed (errno {errno})");
        }
    }

    /// <summary>Sleeps until <see cref="Set"/> is called (returns at once if it was called already).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Wait()
    {
        if (_semaphore is not null)
        {
            _semaphore.Wait();
            return;
        }
        ulong count;
        while (Read(_fd, &count, sizeof(ulong)) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
                throw new IOException($"read of the delivery thread's eventfd failed (errno {errno})");
        }
    }

    /// <summary>Closes the eventfd. Only once no thread waits and no Set can come (the ring's delivery thread, as it ends).</summary>
    public void Dispose()
    {
        CloseDescriptor();
        _semaphore?.Dispose();
        GC.SuppressFinalize(this);
    }

    ~WakeSignal() => CloseDescriptor();

    private void CloseDescriptor()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Close(fd);
    }
}
