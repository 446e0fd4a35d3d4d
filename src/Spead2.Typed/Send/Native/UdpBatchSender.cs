using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Spead2.Internal;
using static Spead2.Send.Native.LinuxSocketInterop;

namespace Spead2.Send.Native;

/// <summary>Options of <see cref="UdpBatchSender"/>.</summary>
internal sealed class UdpBatchSenderOptions : PacketBatchOptions
{
    /// <summary>Use plain <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> even on Linux.</summary>
    public bool ForcePortable { get; init; }

    /// <summary>Allow UDP generic segmentation offload when the kernel has it.</summary>
    public bool AllowGso { get; init; } = true;
}

/// <summary>
/// Sends a batch of UDP datagrams with as few system calls as the platform allows: on 64-bit Linux up
/// to 64 messages per <c>sendmmsg</c>, and runs of equal-size datagrams to one destination merged into
/// one message with UDP GSO. Elsewhere, or when forced (<see cref="PortableEnvironmentVariable"/>=1),
/// one <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/> per datagram.
/// Datagrams leave in the order they were added and the bytes on the wire are the same on every path.
/// </summary>
internal sealed unsafe class UdpBatchSender : PacketBatch
{
    /// <summary>Environment variable that forces the portable path when set to 1 (or "true").</summary>
    public const string PortableEnvironmentVariable = "SPEAD2_PORTABLE_SEND";

    /// <summary>Environment variable that keeps sendmmsg but turns UDP GSO off when set to 1 (or "true").</summary>
    public const string DisableGsoEnvironmentVariable = "SPEAD2_DISABLE_GSO";

    private const int MaxMessagesPerCall = 64;
    // Largest UDP payload of one IPv4 datagram (65535 - 20 IP - 8 UDP); also safe for IPv6.
    private const int MaxGsoBytes = 65507;
    private const int SockAddrSpace = 32;

    private enum GsoState { Off, On, Probing }

    private readonly Socket _socket;
    private readonly SocketAddress[] _socketAddresses;
    private readonly int[] _sockAddrLengths;
    private readonly IPEndPoint[] _endpoints;
    private readonly int[] _messageFirstPacket = new int[MaxMessagesPerCall];
    private readonly int[] _messagePacketCount = new int[MaxMessagesPerCall];
    private SafeSocketHandle? _handle;
    private bool _handleAdded;
    private int _fd = -1;

    // One native block: messages | control buffers | socket addresses | message iovecs.
    private byte* _block;
    private readonly MMsgHdr* _messages;
    private readonly IoVec* _messageIov;
    private readonly byte* _controls;
    private readonly byte* _sockAddrs;

    private GsoState _gso;

    /// <summary>Creates a sender on a UDP socket for the given destinations (substreams).</summary>
    public UdpBatchSender(Socket socket, IReadOnlyList<IPEndPoint> endpoints, UdpBatchSenderOptions? options = null)
        : base(options ??= new UdpBatchSenderOptions(), CheckEndpoints(endpoints))
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        int count = endpoints.Count;
        _socketAddresses = new SocketAddress[count];
        _sockAddrLengths = new int[count];
        _endpoints = new IPEndPoint[count];
        for (int i = 0; i < count; i++)
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
            _endpoints[i] = ep;
            _socketAddresses[i] = ep.Serialize();
        }

        nuint messagesBytes = (nuint)(sizeof(MMsgHdr) * MaxMessagesPerCall);
        nuint controlsBytes = (nuint)(GsoControlSpace * MaxMessagesPerCall);
        nuint addrBytes = (nuint)(SockAddrSpace * count);
        nuint total = messagesBytes + controlsBytes + addrBytes + (nuint)sizeof(IoVec) * (nuint)MaxIovecs;
        _block = (byte*)NativeMemory.AlignedAlloc(total, 64);
        NativeMemory.Clear(_block, total);
        _messages = (MMsgHdr*)_block;
        _controls = _block + messagesBytes;
        _sockAddrs = _controls + controlsBytes;
        _messageIov = (IoVec*)(_sockAddrs + addrBytes);
        for (int i = 0; i < count; i++)
            _sockAddrLengths[i] = WriteSockAddr(_endpoints[i], new Span<byte>(_sockAddrs + i * SockAddrSpace, SockAddrSpace));

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
            // Checks that libc and the entry point load; an empty call sends nothing.
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
            else if (EnvironmentSwitch.IsSet(DisableGsoEnvironmentVariable))
                GsoUnavailableReason = $"GSO turned off by {DisableGsoEnvironmentVariable}";
            else if (ProbeGso(_fd) is var gsoErrno && gsoErrno != 0)
                GsoUnavailableReason = $"kernel has no UDP_SEGMENT (errno {gsoErrno})";
            else
                _gso = GsoState.On;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            ReleaseHandle();
            FallbackReason = $"sendmmsg not available: {ex.Message}";
        }
    }

    private static int CheckEndpoints(IReadOnlyList<IPEndPoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
            throw new ArgumentException("Endpoint list must be non-empty.", nameof(endpoints));
        return endpoints.Count;
    }

    /// <summary>True when datagrams go out through <c>sendmmsg</c>.</summary>
    public bool UsesSendMmsg { get; private set; }

    /// <summary>True while runs of equal-size datagrams are merged with UDP GSO.</summary>
    public bool UsesGso => _gso != GsoState.Off;

    /// <summary>Why the portable path is used, or null on the fast path.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>Why GSO is not (or no longer) used, or null while it is.</summary>
    public string? GsoUnavailableReason { get; private set; }

    protected override string DescribeFailure(int length, int endpoint, string detail) =>
        $"Sending a {length}-byte UDP packet to {_endpoints[endpoint]} (substream {endpoint}) failed: {detail}.";

    protected override void SendCore(CancellationToken cancellationToken)
    {
        if (UsesSendMmsg)
            SendNative(cancellationToken);
        else
            SendPortable(cancellationToken);
    }

    private void SendNative(CancellationToken cancellationToken)
    {
        int packet = 0;
        int count = Count;
        while (packet < count)
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
                    if (!WaitWritable(_fd, errno, cancellationToken))
                    {
                        MarkFailed(_messageFirstPacket[m], count, ECANCELED);
                        return;
                    }
                    continue;
                }
                if (_messagePacketCount[m] > 1)
                {
                    // Any failure of a merged message may be GSO's (EIO: no checksum offload; EINVAL or, on
                    // newer kernels, EMSGSIZE: segment larger than the route's MTU, where plain datagrams would
                    // just be fragmented): resend these packets unmerged; how that goes decides whether GSO stays.
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
        var packets = Packets;
        int count = Count;
        int m = 0;
        int mi = 0;   // next free entry of _messageIov
        int p = firstPacket;
        while (p < count && m < MaxMessagesPerCall)
        {
            ref var head = ref packets[p];
            MsgHdr* h = &_messages[m].Header;
            h->Name = _sockAddrs + head.Endpoint * SockAddrSpace;
            h->NameLength = (uint)_sockAddrLengths[head.Endpoint];
            h->Iov = _messageIov + mi;
            int firstMi = mi;
            mi = AppendCoalesced(mi, firstMi, head);
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
                while (p < count && segments < MaxGsoSegments)
                {
                    ref var next = ref packets[p];
                    if (next.Endpoint != head.Endpoint || next.Length > size || next.Length == 0
                        || total + next.Length > MaxGsoBytes || iovs + next.IovCount > MaxIovPerMessage)
                    {
                        break;
                    }

                    segments++;
                    iovs += next.IovCount;
                    mi = AppendCoalesced(mi, firstMi, next);
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
            h->IovLength = (nuint)(mi - firstMi);
            _messagePacketCount[m] = segments;
            m++;
        }
        endPacket = p;
        return m;
    }

    /// <summary>
    /// Copies a packet's gather entries to the message's list, merging an entry into the previous one when
    /// it continues the same memory (packets laid out back to back in one buffer then make one entry per
    /// GSO message: the kernel copies one long range instead of many short ones). Returns the new end.
    /// </summary>
    private int AppendCoalesced(int mi, int messageStart, in PacketEntry packet)
    {
        IoVec* src = Iov + packet.FirstIov;
        for (int k = 0; k < packet.IovCount; k++)
        {
            if (mi > messageStart && _messageIov[mi - 1].Base + _messageIov[mi - 1].Length == src[k].Base)
            {
                _messageIov[mi - 1].Length += src[k].Length;
            }
            else
            {
                _messageIov[mi] = src[k];
                mi++;
            }
        }
        return mi;
    }

    private void SendPortable(CancellationToken cancellationToken)
    {
        int count = Count;
        for (int i = 0; i < count; i++)
        {
            ref var p = ref Packets[i];
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
                        MarkFailed(i, count, ECANCELED);
                        return;
                    }
                    _socket.Poll(PollTimeoutMs * 1000, SelectMode.SelectWrite);
                }
                catch (SocketException ex)
                {
                    MarkFailed(i, i + 1, ex.NativeErrorCode, ex.SocketErrorCode);
                    break;
                }
                catch (ObjectDisposedException)
                {
                    MarkFailed(i, count, 0, SocketError.Shutdown);
                    return;
                }
            }
        }
    }

    /// <summary>Whether <see cref="PortableEnvironmentVariable"/> asks for the portable path.</summary>
    internal static bool IsPortableForcedByEnvironment() => EnvironmentSwitch.IsSet(PortableEnvironmentVariable);

    private void ReleaseHandle()
    {
        if (_handleAdded)
        {
            _handleAdded = false;
            _handle!.DangerousRelease();
        }
        _fd = -1;
        UsesSendMmsg = false;
    }

    /// <summary>Frees the native memory and lets the socket close (the socket itself is the caller's).</summary>
    protected override void Dispose(bool disposing)
    {
        if (_block != null)
        {
            NativeMemory.AlignedFree(_block);
            _block = null;
        }
        if (disposing)
            ReleaseHandle();
        base.Dispose(disposing);
    }
}
