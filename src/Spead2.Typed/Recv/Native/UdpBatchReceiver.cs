using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Spead2.Recv.Native.LinuxRecvInterop;

namespace Spead2.Recv.Native;

/// <summary>
/// The batched UDP receive of one reader thread on Linux: up to <see cref="MaxBatchSize"/> messages per
/// <c>recvmmsg</c> call (fewer when they are large: see <see cref="BatchSize"/>) into fixed native buffers
/// (spead2's buffer sizes), UDP GRO where
/// the kernel offers it, and the kernel's drop counter. When nothing is queued the thread sleeps in
/// <c>poll</c> on the socket and an eventfd that <see cref="Wake"/> signals. Not thread-safe apart from
/// <see cref="Wake"/>; the caller keeps the socket's handle referenced while this object is used.
/// </summary>
internal sealed unsafe class UdpBatchReceiver : IDisposable
{
    /// <summary>Most messages per call (spead2's mmsg_count).</summary>
    public const int MaxBatchSize = 64;

    /// <summary>Fewest messages per call, however large the buffers.</summary>
    public const int MinBatchSize = 4;

    /// <summary>
    /// The receive buffers of one call hold at most about this much: what the kernel copies in is then still in the
    /// core's cache when the payloads are copied on into their heaps.
    /// </summary>
    /// <remarks>
    /// spead2 receives 64 messages per call, which with GRO is 64 buffers of 64 KiB: 4 MiB that the kernel fills
    /// before the first payload is read back, from well beyond the L2 cache. Measured on the development VM (2 cores,
    /// 16,000 heaps of 1 MiB from an unpaced spead2_send, medians of 5 alternating runs): with 8972-byte packets 64
    /// messages per call completed 9,837 heaps, 32 completed 10,554, 16 completed 13,046 and 8 completed 14,259; in a
    /// second sitting 4 and 8 messages completed 13,544 and 13,723 heaps (spead2_recv 12,561), and with 1472-byte
    /// packets 15,367 and 14,997 (spead2_recv 15,675; 64 messages: 15,344 in the first sitting). Paced at 40 Gb/s,
    /// 8972-byte packets: 93.46 % of heaps complete with 64 messages, 97.96 % with 4.
    /// </remarks>
    public const int CacheBudget = 256 << 10;

    /// <summary>Buffer per message with GRO: room for any merged run of datagrams (spead2 uses the same).</summary>
    public const int GroBufferSize = 65536;

    // Longest sleep in poll before the stop flag is looked at again. The eventfd wakes the thread at
    // once; this only bounds the damage if a wake-up were ever missed.
    private const int PollTimeoutMs = 1000;

    private readonly int _fd;
    private readonly int _eventFd;
    private readonly int _bufferSize;
    private readonly byte* _block;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _iovs;
    private readonly byte* _control;
    private readonly byte* _data;
    private readonly Lock _wakeLock = new();
    private bool _disposed;

    /// <param name="fd">The socket (kept open by the caller).</param>
    /// <param name="maxPacketSize">Largest accepted datagram; buffers hold one byte more so a longer one shows.</param>
    /// <param name="useGro">Ask for UDP GRO (it stays off if the kernel refuses).</param>
    public UdpBatchReceiver(int fd, int maxPacketSize, bool useGro)
    {
        _fd = fd;
        UsesGro = useGro && SetIntOption(fd, SolUdp, UdpGro, 1) == 0;
        // Best effort: without it the drop count simply stays 0.
        ReportsDrops = SetIntOption(fd, SolSocket, SoRxqOvfl, 1) == 0;
        _bufferSize = UsesGro ? Math.Max(GroBufferSize, maxPacketSize + 1) : maxPacketSize + 1;
        // Until the first call says how full the buffers get, assume full ones.
        BatchSize = NextBatchSize(_bufferSize, 1);
        _eventFd = EventFd(0, EfdNonBlock | EfdCloExec);
        if (_eventFd < 0)
            throw new IOException($"eventfd failed (errno {Marshal.GetLastPInvokeError()})");

        // One block: the headers, the iovecs, the control buffers, then the data buffers.
        nuint headers = (nuint)(MaxBatchSize * sizeof(MMsgHdr));
        nuint iovs = (nuint)(MaxBatchSize * sizeof(IoVec));
        nuint control = (nuint)(MaxBatchSize * ControlSpace);
        nuint data = (nuint)MaxBatchSize * (nuint)_bufferSize;
        _block = (byte*)NativeMemory.AlignedAlloc(headers + iovs + control + data, 64);
        _messages = (MMsgHdr*)_block;
        _iovs = (IoVec*)(_block + headers);
        _control = _block + headers + iovs;
        _data = _control + control;
        // The data buffers too, although the kernel overwrites them: writing every page now maps it here, not on the
        // kernel's first copy into it. Left untouched, the first batches at full rate page-fault inside the receive
        // thread's recvmmsg (up to 4 MiB with GRO), and each fault needs the process's memory-map lock, which another
        // runtime thread may hold while it unmaps memory: a traced run at 30 Gb/s showed the receive thread blocked
        // there for 4.5 ms at the start of the stream, four times what a 4 MiB socket buffer holds at that rate.
        NativeMemory.Clear(_block, headers + iovs + control + data);
        for (int i = 0; i < MaxBatchSize; i++)
        {
            _iovs[i].Base = _data + (nuint)i * (nuint)_bufferSize;
            _iovs[i].Length = (nuint)_bufferSize;
            _messages[i].Header.Iov = &_iovs[i];
            _messages[i].Header.IovLength = 1;
            _messages[i].Header.Control = _control + i * ControlSpace;
        }
    }

    /// <summary>
    /// Messages the next <c>recvmmsg</c> call asks for: as many as the last call's messages, at their average size, fit in
    /// <see cref="CacheBudget"/> (see <see cref="NextBatchSize"/>).
    /// </summary>
    /// <remarks>
    /// Sized by what the kernel wrote, not by the buffers: runs merged by GRO fill 64 KiB buffers, and then 4 a call
    /// keep the footprint in cache; datagrams that arrive one by one (several senders interleaved, no GRO) fill a
    /// fraction of theirs, and then more a call spare system calls.
    /// </remarks>
    public int BatchSize { get; private set; }

    /// <summary>The batch size after a call that received <paramref name="messages"/> messages of <paramref name="bytes"/> bytes in all.</summary>
    public static int NextBatchSize(long bytes, int messages)
    {
        long average = Math.Max(1, bytes / Math.Max(1, messages));
        return (int)Math.Clamp(CacheBudget / average, MinBatchSize, MaxBatchSize);
    }

    /// <summary>True if the kernel accepted UDP_GRO on the socket.</summary>
    public bool UsesGro { get; }

    /// <summary>True if the kernel accepted SO_RXQ_OVFL (drop counts reported).</summary>
    public bool ReportsDrops { get; }

    /// <summary>The socket's drop counter as last reported by the kernel (datagrams dropped before we could read them).</summary>
    public long KernelDrops { get; private set; }

    /// <summary>Messages that held a run of datagrams merged by GRO (for tests and diagnostics).</summary>
    public long MergedMessages { get; set; }

    /// <summary>How much of <see cref="KernelDrops"/> the stream has counted already.</summary>
    public long CountedDrops { get; set; }

    /// <summary>
    /// Receives the datagrams queued, waiting in poll while there are none. Returns how many
    /// messages were received, or 0 when woken by <see cref="Wake"/> (or after a poll timeout), so the
    /// caller can look at its stop conditions.
    /// </summary>
    /// <exception cref="IOException">The socket failed (not a transient condition).</exception>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Receive()
    {
        while (true)
        {
            for (int i = 0; i < BatchSize; i++)
            {
                // The kernel overwrites these: set them again before every call.
                _messages[i].Header.ControlLength = ControlSpace;
                _messages[i].Header.Flags = 0;
            }
            int received = RecvMMsg(_fd, _messages, (uint)BatchSize, MsgDontWait, null);
            if (received > 0)
            {
                if (ReportsDrops)
                    ReadDrops(received);
                long bytes = 0;
                for (int i = 0; i < received; i++)
                    bytes += _messages[i].Length;
                BatchSize = NextBatchSize(bytes, received);
                return received;
            }
            int errno = received < 0 ? Marshal.GetLastPInvokeError() : EAGAIN;
            switch (errno)
            {
                case EAGAIN:
                    // Idle: bring the drop count up to date before sleeping (the datagrams that would
                    // carry it in a control message may never come), and let the caller count it.
                    if (ReportsDrops && RefreshDrops())
                        return 0;
                    if (!WaitReadable())
                        return 0;
                    continue;
                case EINTR:
                    continue;
                // Transient: an ICMP error queued on the socket, or the kernel short of memory. spead2
                // logs these and carries on; the next call gets the data.
                case ECONNREFUSED:
                case EHOSTUNREACH:
                case ENETUNREACH:
                case ENOMEM:
                case ENOBUFS:
                    continue;
                default:
                    throw new IOException($"recvmmsg failed: {new System.ComponentModel.Win32Exception(errno).Message} (errno {errno})");
            }
        }
    }

    /// <summary>
    /// Message <paramref name="index"/> of the last <see cref="Receive"/>: its bytes and, with GRO, the
    /// size of the datagrams merged into it (0 when it is a single datagram).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> GetMessage(int index, out int segmentSize)
    {
        ref var message = ref _messages[index];
        segmentSize = 0;
        if (UsesGro)
            segmentSize = FindInt(ref message, SolUdp, UdpGro);
        int length = (int)message.Length;
        if ((message.Header.Flags & MsgTrunc) != 0)
            length = _bufferSize;   // cut by the kernel: the caller sees a datagram over the limit
        return new ReadOnlySpan<byte>(_iovs[index].Base, length);
    }

    /// <summary>Wakes the thread from poll (thread-safe; used to stop).</summary>
    public void Wake()
    {
        // Under the lock so that the eventfd cannot be closed (and its number reused) meanwhile.
        lock (_wakeLock)
        {
            if (_disposed)
                return;
            ulong one = 1;
            _ = Write(_eventFd, &one, sizeof(ulong));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool WaitReadable()
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _fd, Events = PollIn };
        fds[1] = new PollFd { Fd = _eventFd, Events = PollIn };
        int r = Poll(fds, 2, PollTimeoutMs);
        if (r < 0)
            return Marshal.GetLastPInvokeError() == EINTR;
        if (r == 0 || fds[1].Revents != 0)
            return false;
        // POLLERR (a queued ICMP error) or data: either way recvmmsg has something to say.
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool RefreshDrops()
    {
        var info = stackalloc uint[16];
        uint length = 16 * sizeof(uint);
        if (GetSockOpt(_fd, SolSocket, SoMemInfo, info, &length) != 0 || length < (SkMemInfoDrops + 1) * sizeof(uint))
            return false;
        if (info[SkMemInfoDrops] <= KernelDrops)
            return false;
        KernelDrops = info[SkMemInfoDrops];
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadDrops(int received)
    {
        for (int i = 0; i < received; i++)
        {
            int drops = FindInt(ref _messages[i], SolSocket, SoRxqOvfl);
            // The counter is cumulative (a uint32 in the kernel): the largest value seen is the total.
            if ((uint)drops > KernelDrops)
                KernelDrops = (uint)drops;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FindInt(ref MMsgHdr message, int level, int type)
    {
        byte* control = (byte*)message.Header.Control;
        nuint length = message.Header.ControlLength;
        nuint offset = 0;
        while (offset + (nuint)sizeof(CMsgHdr) <= length)
        {
            var header = (CMsgHdr*)(control + offset);
            if (header->Length < (nuint)sizeof(CMsgHdr) || offset + header->Length > length)
                break;
            if (header->Level == level && header->Type == type && header->Length >= (nuint)(sizeof(CMsgHdr) + sizeof(int)))
                return *(int*)(header + 1);
            offset += Align(header->Length);
        }
        return 0;
    }

    /// <summary>Frees the buffers and the eventfd (after the thread has stopped using them).</summary>
    public void Dispose()
    {
        lock (_wakeLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _ = Close(_eventFd);
        }
        NativeMemory.AlignedFree(_block);
    }
}
