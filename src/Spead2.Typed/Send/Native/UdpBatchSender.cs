using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Spead2.Send.Native.LinuxSocketInterop;

namespace Spead2.Send.Native;

/// <summary>Tuning knobs of <see cref="UdpBatchSender"/>; the defaults suit SPEAD packets up to 9000 bytes.</summary>
internal sealed class UdpBatchSenderOptions
{
    /// <summary>Packets collected before <see cref="UdpBatchSender.Send"/> must be called.</summary>
    public int MaxPackets { get; init; } = 256;

    /// <summary>Gather entries (header, payload pieces) for the whole batch.</summary>
    public int MaxIovecs { get; init; } = 256 * 8;

    /// <summary>Bytes of native scratch for headers and small copied payload pieces, for the whole batch.</summary>
    public int ScratchBytes { get; init; } = 256 * 256;

    /// <summary>Use plain <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> even on Linux.</summary>
    public bool ForcePortable { get; init; }

    /// <summary>Allow UDP generic segmentation offload when the kernel has it.</summary>
    public bool AllowGso { get; init; } = true;

    /// <summary>Payload pieces up to this size are copied next to the header instead of getting their own iovec.</summary>
    public int SmallCopyThreshold { get; init; } = 64;
}

/// <summary>
/// Collects a batch of UDP datagrams, each a gather list of memory pieces (a header in the batch's
/// native scratch, payload pointing into the caller's pinned memory), and sends them with as few
/// system calls as the platform allows: on 64-bit Linux up to 64 messages per <c>sendmmsg</c>, and
/// runs of equal-size datagrams to one destination merged into one message with UDP GSO. Elsewhere,
/// or when forced (<see cref="PortableEnvironmentVariable"/>=1), one <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/>
/// per datagram. Datagrams leave in the order they were added and the bytes on the wire are the same
/// on every path.
/// </summary>
/// <remarks>
/// Use: <see cref="BeginPacket"/> (write the header into the returned span) → <see cref="CommitScratch"/>
/// → <see cref="AddPayload"/>… → <see cref="EndPacket"/>, repeated while <see cref="HasRoom"/>; then
/// <see cref="Send"/>, read the per-packet results, <see cref="Clear"/>. Memory passed to
/// <see cref="AddPayload"/> must stay pinned until <see cref="Send"/> returns. Nothing is allocated
/// after construction. Not thread safe: one sender per stream writer.
/// </remarks>
internal sealed unsafe class UdpBatchSender : IDisposable
{
    /// <summary>Environment variable that forces the portable path when set to 1 (or "true").</summary>
    public const string PortableEnvironmentVariable = "SPEAD2_PORTABLE_SEND";

    private const int MaxMessagesPerCall = 64;
    // Largest UDP payload of one IPv4 datagram (65535 - 20 IP - 8 UDP); also safe for IPv6.
    private const int MaxGsoBytes = 65507;
    private const int SockAddrSpace = 32;
    private const int PollTimeoutMs = 100;

    private enum GsoState { Off, On, Probing }

    private struct PacketEntry
    {
        public int Endpoint;
        public int FirstIov;
        public int IovCount;
        public int Length;
        public int Errno;
        public SocketError Error;
    }

    private readonly Socket _socket;
    private SafeSocketHandle? _handle;
    private bool _handleAdded;
    private int _fd = -1;
    private readonly int _endpointCount;
    private readonly SocketAddress[] _socketAddresses;
    private readonly int[] _sockAddrLengths;
    private readonly PacketEntry[] _packets;
    private readonly int[] _messageFirstPacket = new int[MaxMessagesPerCall];
    private readonly int[] _messagePacketCount = new int[MaxMessagesPerCall];
    private readonly int _maxIovecs;
    private readonly int _scratchBytes;
    private readonly int _smallCopy;

    // One native block: messages | control buffers | socket addresses | iovecs | scratch.
    private byte* _block;
    private readonly MMsgHdr* _messages;
    private readonly byte* _controls;
    private readonly byte* _sockAddrs;
    private readonly IoVec* _iov;
    private readonly byte* _scratch;

    private GsoState _gso;
    private byte[]? _gather;
    private int _count;
    private int _iovUsed;
    private int _scratchUsed;
    private int _scratchReserveEnd = -1;   // >= 0 while a packet is open

    /// <summary>Creates a sender on a UDP socket for the given destinations (substreams).</summary>
    public UdpBatchSender(Socket socket, IReadOnlyList<IPEndPoint> endpoints, UdpBatchSenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(endpoints);
        options ??= new UdpBatchSenderOptions();
        if (endpoints.Count == 0)
            throw new ArgumentException("Endpoint list must be non-empty.", nameof(endpoints));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPackets, 1, nameof(options.MaxPackets));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIovecs, 1, nameof(options.MaxIovecs));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ScratchBytes, nameof(options.ScratchBytes));

        _socket = socket;
        _endpointCount = endpoints.Count;
        _packets = new PacketEntry[options.MaxPackets];
        _maxIovecs = options.MaxIovecs;
        _scratchBytes = options.ScratchBytes;
        _smallCopy = options.SmallCopyThreshold;
        _socketAddresses = new SocketAddress[_endpointCount];
        _sockAddrLengths = new int[_endpointCount];

        var resolved = new IPEndPoint[_endpointCount];
        for (int i = 0; i < _endpointCount; i++)
        {
            var ep = endpoints[i] ?? throw new ArgumentNullException(nameof(endpoints), $"Endpoint {i} is null.");
            if (ep.AddressFamily != socket.AddressFamily)
            {
                // A dual-mode IPv6 socket reaches IPv4 destinations through mapped addresses.
                if (socket.AddressFamily == AddressFamily.InterNetworkV6 && ep.AddressFamily == AddressFamily.InterNetwork && socket.DualMode)
                    ep = new IPEndPoint(ep.Address.MapToIPv6(), ep.Port);
                else
                    throw new ArgumentException($"Endpoint {ep} does not match the protocol of the socket ({socket.AddressFamily}).", nameof(endpoints));
            }
            resolved[i] = ep;
            _socketAddresses[i] = ep.Serialize();
        }

        nuint messagesBytes = (nuint)(sizeof(MMsgHdr) * MaxMessagesPerCall);
        nuint controlsBytes = (nuint)(GsoControlSpace * MaxMessagesPerCall);
        nuint addrBytes = (nuint)(SockAddrSpace * _endpointCount);
        nuint iovBytes = (nuint)sizeof(IoVec) * (nuint)_maxIovecs;
        nuint total = messagesBytes + controlsBytes + addrBytes + iovBytes + (nuint)_scratchBytes;
        _block = (byte*)NativeMemory.AlignedAlloc(total, 64);
        NativeMemory.Clear(_block, total);
        _messages = (MMsgHdr*)_block;
        _controls = _block + messagesBytes;
        _sockAddrs = _controls + controlsBytes;
        _iov = (IoVec*)(_sockAddrs + addrBytes);
        _scratch = (byte*)_iov + iovBytes;
        for (int i = 0; i < _endpointCount; i++)
            _sockAddrLengths[i] = WriteSockAddr(resolved[i], new Span<byte>(_sockAddrs + i * SockAddrSpace, SockAddrSpace));

        if (options.ForcePortable || IsPortableForcedByEnvironment())
        {
            FallbackReason = "portable path forced";
            return;
        }
        if (!IsSupportedPlatform)
        {
            FallbackReason = "not 64-bit Linux";
            return;
        }
        try
        {
            // Holding a reference keeps the descriptor number valid (not closed and reused) while we use it.
            _handle = socket.SafeHandle;
            _handle.DangerousAddRef(ref _handleAdded);
            _fd = (int)_handle.DangerousGetHandle();
            // Probes that libc and the entry points load; an empty call sends nothing.
            if (SendMMsg(_fd, null, 0, MsgDontWait) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                ReleaseHandle();
                FallbackReason = $"sendmmsg unusable (errno {errno})";
                return;
            }
            UsesSendMmsg = true;
            if (!options.AllowGso)
                GsoUnavailableReason = "GSO not allowed by options";
            else if (ProbeGso(_fd) is var gsoErrno && gsoErrno != 0)
                GsoUnavailableReason = $"kernel has no UDP_SEGMENT (errno {gsoErrno})";
            else
                _gso = GsoState.On;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            ReleaseHandle();
            UsesSendMmsg = false;
            FallbackReason = $"sendmmsg not available: {ex.Message}";
        }
    }

    /// <summary>True when datagrams go out through <c>sendmmsg</c>.</summary>
    public bool UsesSendMmsg { get; private set; }

    /// <summary>True while runs of equal-size datagrams are merged with UDP GSO.</summary>
    public bool UsesGso => _gso != GsoState.Off;

    /// <summary>Why the portable path is used, or null on the fast path.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>Why GSO is not (or no longer) used, or null while it is.</summary>
    public string? GsoUnavailableReason { get; private set; }

    /// <summary>System calls that sent data (sendmmsg or sendto), for measurements.</summary>
    public long SendCalls { get; private set; }

    /// <summary>Packets in the current batch.</summary>
    public int Count => _count;

    /// <summary>Capacity of a batch in packets.</summary>
    public int MaxPackets => _packets.Length;

    /// <summary>Whether one more packet using up to <paramref name="scratchBytes"/> of scratch and <paramref name="iovecs"/> gather entries fits.</summary>
    public bool HasRoom(int scratchBytes, int iovecs) =>
        _count < _packets.Length && _scratchUsed + scratchBytes <= _scratchBytes && _iovUsed + iovecs <= _maxIovecs;

    /// <summary>
    /// Starts a packet to substream <paramref name="endpointIndex"/> and returns <paramref name="scratchBytes"/>
    /// of native scratch (stable until <see cref="Clear"/>) for its header and any copied payload.
    /// </summary>
    public Span<byte> BeginPacket(int endpointIndex, int scratchBytes)
    {
        if (_scratchReserveEnd >= 0)
            ThrowInvalidOperation("EndPacket was not called for the previous packet.");
        if ((uint)endpointIndex >= (uint)_endpointCount)
            ThrowEndpointOutOfRange(endpointIndex, _endpointCount);
        if (_count >= _packets.Length || scratchBytes < 0 || _scratchUsed + scratchBytes > _scratchBytes)
            ThrowInvalidOperation("The batch is full: call Send and Clear first (check HasRoom).");
        ref var p = ref _packets[_count];
        p.Endpoint = endpointIndex;
        p.FirstIov = _iovUsed;
        p.IovCount = 0;
        p.Length = 0;
        p.Errno = 0;
        p.Error = SocketError.Success;
        _scratchReserveEnd = _scratchUsed + scratchBytes;
        return new Span<byte>(_scratch + _scratchUsed, scratchBytes);
    }

    /// <summary>Appends the first <paramref name="bytes"/> of the scratch returned by <see cref="BeginPacket"/> to the datagram.</summary>
    public void CommitScratch(int bytes)
    {
        if ((uint)bytes > (uint)(_scratchReserveEnd - _scratchUsed))
            ThrowInvalidOperation("Committed more scratch than reserved.");
        if (bytes == 0)
            return;
        AppendIov(_scratch + _scratchUsed, bytes);
        _scratchUsed += bytes;
    }

    /// <summary>
    /// Appends <paramref name="length"/> bytes at <paramref name="data"/> to the datagram without copying
    /// (small pieces are copied next to the header when reserved scratch is left). The memory must stay
    /// pinned until <see cref="Send"/> returns.
    /// </summary>
    public void AddPayload(byte* data, int length)
    {
        // Small pieces are cheaper to copy than to describe; when gather entries run out, copying into the
        // reserved scratch keeps the packet going.
        if ((length <= _smallCopy || _iovUsed >= _maxIovecs) && length <= _scratchReserveEnd - _scratchUsed)
        {
            AddPayloadCopy(new ReadOnlySpan<byte>(data, length));
            return;
        }
        if (_scratchReserveEnd < 0)
            ThrowInvalidOperation("BeginPacket was not called.");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        AppendIov(data, length);
    }

    /// <summary>Copies <paramref name="data"/> into the packet's reserved scratch and appends it to the datagram.</summary>
    public void AddPayloadCopy(ReadOnlySpan<byte> data)
    {
        if (_scratchReserveEnd < 0)
            ThrowInvalidOperation("BeginPacket was not called.");
        if (data.Length > _scratchReserveEnd - _scratchUsed)
            ThrowInvalidOperation("Not enough reserved scratch for the copied payload.");
        byte* dst = _scratch + _scratchUsed;
        data.CopyTo(new Span<byte>(dst, data.Length));
        _scratchUsed += data.Length;
        ref var p = ref _packets[_count];
        // Contiguous with the packet's previous piece (its header, typically): grow that iovec.
        if (p.IovCount > 0 && _iov[_iovUsed - 1].Base + _iov[_iovUsed - 1].Length == dst)
        {
            _iov[_iovUsed - 1].Length += (nuint)data.Length;
            p.Length += data.Length;
        }
        else if (data.Length > 0)
        {
            AppendIov(dst, data.Length);
        }
    }

    /// <summary>Finishes the packet; returns its index in the batch.</summary>
    public int EndPacket()
    {
        if (_scratchReserveEnd < 0)
            ThrowInvalidOperation("BeginPacket was not called.");
        // Keep headers 8-byte aligned for the next packet.
        _scratchUsed = Math.Min((_scratchUsed + 7) & ~7, _scratchBytes);
        _scratchReserveEnd = -1;
        return _count++;
    }

    /// <summary>Forgets the batch (results included); the scratch is reused.</summary>
    public void Clear()
    {
        _count = 0;
        _iovUsed = 0;
        _scratchUsed = 0;
        _scratchReserveEnd = -1;
    }

    /// <summary>Size in bytes of packet <paramref name="index"/>.</summary>
    public int GetLength(int index) => _packets[index].Length;

    /// <summary>Result of packet <paramref name="index"/> after <see cref="Send"/>.</summary>
    public SocketError GetError(int index) => _packets[index].Error;

    /// <summary>The OS error number of packet <paramref name="index"/> (errno on Linux), 0 when sent.</summary>
    public int GetNativeError(int index) => _packets[index].Errno;

    /// <summary>Builds the exception reported for a failed packet (cold path).</summary>
    public IOException CreateException(int index)
    {
        ref var p = ref _packets[index];
        var inner = new SocketException((int)p.Error);
        string detail = OperatingSystem.IsLinux() && p.Errno != 0 ? Marshal.GetPInvokeErrorMessage(p.Errno) : inner.Message;
        return new IOException($"Sending a {p.Length}-byte UDP datagram to substream {p.Endpoint} failed: {detail} (errno {p.Errno}).", inner);
    }

    /// <summary>
    /// Sends every packet of the batch, waiting for socket buffer space when needed (nothing is
    /// dropped). A packet that fails gets its error (see <see cref="GetError"/>) and sending goes on
    /// with the next one. On cancellation while waiting, the unsent packets get
    /// <see cref="SocketError.OperationAborted"/>.
    /// </summary>
    public void Send(CancellationToken cancellationToken = default)
    {
        if (_scratchReserveEnd >= 0)
            ThrowInvalidOperation("EndPacket was not called for the last packet.");
        ObjectDisposedException.ThrowIf(_block == null, this);
        if (UsesSendMmsg)
            SendNative(cancellationToken);
        else
            SendPortable(cancellationToken);
    }

    private void SendNative(CancellationToken cancellationToken)
    {
        int packet = 0;
        while (packet < _count)
        {
            int end;
            int messageCount = BuildMessages(packet, out end);
            int m = 0;
            while (m < messageCount)
            {
                int sent = SendMMsg(_fd, _messages + m, (uint)(messageCount - m), MsgDontWait);
                SendCalls++;
                if (sent > 0)
                {
                    if (_gso == GsoState.Probing)
                    {
                        // The same packets failed merged and went out unmerged: the route cannot do GSO.
                        _gso = GsoState.Off;
                    }
                    m += sent;
                    continue;
                }
                int errno = sent < 0 ? Marshal.GetLastPInvokeError() : EAGAIN;
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == ENOBUFS)
                {
                    if (!WaitWritable(errno, cancellationToken))
                    {
                        MarkFailed(_messageFirstPacket[m], _count, ECANCELED);
                        return;
                    }
                    continue;
                }
                if (_messagePacketCount[m] > 1 && errno is EIO or EINVAL or ENOPROTOOPT or EOPNOTSUPP)
                {
                    // Possibly the device or route cannot segment: resend these packets unmerged.
                    _gso = GsoState.Probing;
                    GsoUnavailableReason = $"sending with UDP GSO failed (errno {errno}); sent without it";
                    end = _messageFirstPacket[m];
                    break;
                }
                if (_gso == GsoState.Probing)
                {
                    // Fails without GSO too: the fault is elsewhere, so keep GSO.
                    _gso = GsoState.On;
                    GsoUnavailableReason = null;
                }
                int first = _messageFirstPacket[m];
                MarkFailed(first, first + _messagePacketCount[m], errno);
                m++;
            }
            packet = end;
        }
    }

    /// <summary>
    /// Fills up to 64 mmsghdr entries from packets starting at <paramref name="firstPacket"/>; with GSO
    /// a run of packets to one endpoint becomes one message when all but its last have the run's first
    /// size and the last is not larger (the kernel cuts the data into gso_size pieces).
    /// </summary>
    private int BuildMessages(int firstPacket, out int endPacket)
    {
        bool gso = _gso == GsoState.On;
        int m = 0;
        int p = firstPacket;
        while (p < _count && m < MaxMessagesPerCall)
        {
            ref var head = ref _packets[p];
            MsgHdr* h = &_messages[m].Header;
            h->Name = _sockAddrs + head.Endpoint * SockAddrSpace;
            h->NameLength = (uint)_sockAddrLengths[head.Endpoint];
            h->Iov = _iov + head.FirstIov;
            h->Control = null;
            h->ControlLength = 0;
            h->Flags = 0;
            _messageFirstPacket[m] = p;
            int segments = 1;
            int iovs = head.IovCount;
            int size = head.Length;
            int total = size;
            p++;
            if (gso && size > 0)
            {
                while (p < _count && segments < MaxGsoSegments)
                {
                    ref var next = ref _packets[p];
                    if (next.Endpoint != head.Endpoint || next.Length > size || next.Length == 0
                        || total + next.Length > MaxGsoBytes || iovs + next.IovCount > MaxIovPerMessage)
                        break;
                    segments++;
                    iovs += next.IovCount;
                    total += next.Length;
                    p++;
                    if (next.Length < size)
                        break;   // only the last segment may be shorter
                }
                if (segments > 1)
                {
                    byte* control = _controls + m * GsoControlSpace;
                    WriteGsoControl(control, (ushort)size);
                    h->Control = control;
                    h->ControlLength = GsoControlSpace;
                }
            }
            h->IovLength = (nuint)iovs;
            _messagePacketCount[m] = segments;
            m++;
        }
        endPacket = p;
        return m;
    }

    private bool WaitWritable(int errno, CancellationToken cancellationToken)
    {
        PollFd pfd;
        pfd.Fd = _fd;
        pfd.Events = PollOut;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
                return false;
            pfd.Revents = 0;
            int r = Poll(&pfd, 1, PollTimeoutMs);
            if (r > 0)
            {
                // ENOBUFS is a full device queue, which poll does not report: give it a moment.
                if (errno == ENOBUFS)
                    Thread.Sleep(1);
                return true;
            }
            if (r < 0 && Marshal.GetLastPInvokeError() != EINTR)
                return true;   // let the next send report the real problem
        }
    }

    private void SendPortable(CancellationToken cancellationToken)
    {
        for (int i = 0; i < _count; i++)
        {
            ref var p = ref _packets[i];
            ReadOnlySpan<byte> datagram = GatherPacket(ref p);
            while (true)
            {
                try
                {
                    _socket.SendTo(datagram, SocketFlags.None, _socketAddresses[p.Endpoint]);
                    SendCalls++;
                    break;
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        MarkFailed(i, _count, ECANCELED);
                        return;
                    }
                    _socket.Poll(PollTimeoutMs * 1000, SelectMode.SelectWrite);
                }
                catch (SocketException ex)
                {
                    p.Error = ex.SocketErrorCode;
                    p.Errno = ex.NativeErrorCode;
                    break;
                }
            }
        }
    }

    private ReadOnlySpan<byte> GatherPacket(ref PacketEntry p)
    {
        if (p.IovCount == 1)
            return new ReadOnlySpan<byte>(_iov[p.FirstIov].Base, p.Length);
        if (_gather == null || _gather.Length < p.Length)
            _gather = new byte[Math.Max(p.Length, 9000)];   // grows to the largest packet once
        int offset = 0;
        for (int k = 0; k < p.IovCount; k++)
        {
            ref var v = ref _iov[p.FirstIov + k];
            new ReadOnlySpan<byte>(v.Base, (int)v.Length).CopyTo(_gather.AsSpan(offset));
            offset += (int)v.Length;
        }
        return _gather.AsSpan(0, offset);
    }

    private void MarkFailed(int from, int to, int errno)
    {
        var error = ToSocketError(errno);
        for (int i = from; i < to; i++)
        {
            _packets[i].Errno = errno;
            _packets[i].Error = error;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendIov(byte* data, int length)
    {
        if (_iovUsed >= _maxIovecs)
            ThrowInvalidOperation("The batch has no gather entries left (check HasRoom).");
        _iov[_iovUsed].Base = data;
        _iov[_iovUsed].Length = (nuint)length;
        _iovUsed++;
        ref var p = ref _packets[_count];
        p.IovCount++;
        p.Length += length;
    }

    private static bool IsPortableForcedByEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(PortableEnvironmentVariable);
        return value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    private void ReleaseHandle()
    {
        if (_handleAdded)
        {
            _handleAdded = false;
            _handle!.DangerousRelease();
        }
        _fd = -1;
    }

    /// <summary>Frees the native memory and lets the socket close (the socket itself is the caller's).</summary>
    public void Dispose()
    {
        if (_block == null)
            return;
        NativeMemory.AlignedFree(_block);
        _block = null;
        ReleaseHandle();
        UsesSendMmsg = false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowEndpointOutOfRange(int index, int count) =>
        throw new ArgumentOutOfRangeException("endpointIndex", index, $"Substream index must be below the number of endpoints ({count}).");
}
