using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Spead2.Internal;
using Spead2.Recv.Native;

namespace Spead2.Recv;

/// <summary>
/// A UDP reader of a <see cref="ReceiveStream"/> (made by <see cref="ReceiveStream.AddUdpReader"/> or
/// <see cref="ReceiveStream.AddUdpMulticastReader"/>). One datagram is one packet; a datagram
/// larger than the limit, or with bytes after its packet, is dropped as malformed.
/// </summary>
/// <remarks>
/// Each reader has its own receive thread. On 64-bit Linux it takes many datagrams per
/// <c>recvmmsg</c> call (as many as fit in 256 KiB at the size of the last call's messages, so that what
/// the kernel copies in is still in cache when it is read back: 4 runs of 64 KiB merged by GRO, up to 64
/// small datagrams), with UDP GRO (runs of datagrams merged by the kernel) where the kernel offers it,
/// and learns from the kernel how many datagrams (or merged runs) it dropped for a full socket buffer
/// (<see cref="ReceiveStatistics.KernelDroppedPackets"/>). Elsewhere, or with the environment variable
/// <c>SPEAD2_PORTABLE_RECV=1</c>, it makes one blocking <see cref="Socket.Receive(Span{byte})"/> call per
/// datagram. <c>SPEAD2_DISABLE_GRO=1</c> keeps <c>recvmmsg</c> but leaves GRO off. Either way each
/// payload is copied once, from the receive buffer into its heap's memory.
/// </remarks>
public sealed class UdpReader : IDisposable
{
    /// <summary>spead2's default largest datagram for a UDP reader.</summary>
    public const int DefaultMaxPacketSize = 9200;

    /// <summary>spead2's default socket receive buffer for a UDP reader: 8 MiB.</summary>
    public const int DefaultBufferSize = 8 << 20;

    /// <summary>Largest accepted maximum packet size (the largest UDP payload).</summary>
    public const int MaxMaxPacketSize = 65507;

    /// <summary>Environment variable that forces the portable receive path when set to 1 (or "true").</summary>
    public const string PortableEnvironmentVariable = "SPEAD2_PORTABLE_RECV";

    /// <summary>Environment variable that keeps <c>recvmmsg</c> but turns UDP GRO off when set to 1 (or "true").</summary>
    public const string DisableGroEnvironmentVariable = "SPEAD2_DISABLE_GRO";

    private readonly Socket _socket;
    private readonly int _maxPacketSize;
    private readonly UdpBatchReceiver? _batch;
    private readonly Lock _stateLock = new();
    private bool _started;
    private volatile bool _closed;

    private UdpReader(Socket socket, int maxPacketSize)
    {
        _socket = socket;
        _maxPacketSize = maxPacketSize;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (LinuxRecvInterop.IsSupportedPlatform && !IsPortableForcedByEnvironment())
            _batch = new UdpBatchReceiver((int)socket.SafeHandle.DangerousGetHandle(), maxPacketSize, useGro: !EnvironmentSwitch.IsSet(DisableGroEnvironmentVariable));
    }

    /// <summary>The endpoint the socket is bound to (with the chosen port if 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The socket receive buffer size the OS granted (Linux reports double the request).</summary>
    public int ReceiveBufferSize => _socket.ReceiveBufferSize;

    /// <summary>True if the reader receives with <c>recvmmsg</c> (64-bit Linux, not forced portable).</summary>
    public bool IsBatched => _batch is not null;

    /// <summary>True if the kernel merges runs of datagrams for this reader (UDP GRO).</summary>
    public bool UsesGro => _batch?.UsesGro ?? false;

    /// <summary>Messages that held several datagrams merged by GRO so far (tests).</summary>
    internal long MergedMessages => _batch?.MergedMessages ?? 0;

    internal static UdpReader Create(IPEndPoint endpoint, IPAddress? group, IPAddress? interfaceAddress,
        int maxPacketSize, int bufferSize, ILogger? logger)
    {
        ValidateSizes(maxPacketSize, bufferSize);
        ReceiveWarmUp.EnsureDone();   // before the port opens, so no datagram waits for the JIT
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SetBufferSize(socket, bufferSize, logger);
            if (group is not null)
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            return new UdpReader(socket, maxPacketSize);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"Cannot bind a UDP reader to {endpoint}: {e.Message}", e);
        }
        catch (IOException)
        {
            socket.Dispose();   // the batch receiver could not be set up
            throw;
        }
    }

    internal static UdpReader CreateMulticast(IPAddress group, int port, IPAddress? interfaceAddress, int interfaceIndex,
        int maxPacketSize, int bufferSize, ILogger? logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        bool v6 = group.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6 ? !group.IsIPv6Multicast : (group.GetAddressBytes()[0] & 0xF0) != 0xE0)
            throw new ArgumentException($"{group} is not a multicast address.", nameof(group));
        if (interfaceAddress is not null && (v6 || interfaceAddress.AddressFamily != AddressFamily.InterNetwork))
            throw new ArgumentException("An interface address can only be given for an IPv4 group, and must be IPv4.", nameof(interfaceAddress));
        if (interfaceIndex != 0 && !v6)
            throw new ArgumentException("An interface index can only be given for an IPv6 group.", nameof(interfaceIndex));
        ArgumentOutOfRangeException.ThrowIfNegative(interfaceIndex);

        // Bound to the group itself (as spead2 does), a socket hears only that group: bound to the wildcard
        // address, Linux would also deliver other joined groups' datagrams for the same port. Windows cannot bind
        // to a multicast address, so there the wildcard is the only choice.
        var bindAddress = OperatingSystem.IsWindows() ? (v6 ? IPAddress.IPv6Any : IPAddress.Any) : group;
        var reader = Create(new IPEndPoint(bindAddress, port), group, interfaceAddress, maxPacketSize, bufferSize, logger);
        try
        {
            if (v6)
            {
                reader._socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership,
                    new IPv6MulticastOption(group, interfaceIndex));
            }
            else
            {
                reader._socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership,
                    new MulticastOption(group, interfaceAddress ?? IPAddress.Any));
            }

            return reader;
        }
        catch (SocketException e)
        {
            reader.Dispose();
            throw new IOException($"Cannot join multicast group {group}: {e.Message}", e);
        }
    }

    internal static void ValidateSizes(int maxPacketSize, int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacketSize, 8, nameof(maxPacketSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPacketSize, MaxMaxPacketSize, nameof(maxPacketSize));
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize, nameof(bufferSize));
    }

    internal static void SetBufferSize(Socket socket, int bufferSize, ILogger? logger)
    {
        if (bufferSize == 0)
            return;
        try
        {
            socket.ReceiveBufferSize = bufferSize;
        }
        catch (SocketException)
        {
            // As spead2: a refused size is only a warning, the OS default stays.
        }
        int actual = socket.ReceiveBufferSize;
        // Linux doubles the value it stores (the extra half is its bookkeeping) and reports that, so a
        // request clipped to net.core.rmem_max reads back as twice the limit: compare what was granted.
        int granted = OperatingSystem.IsLinux() ? actual / 2 : actual;
        if (granted < bufferSize && logger is not null)
            RecvLog.SmallSocketBuffer(logger, bufferSize, granted, bufferSize);
    }

    internal Task RunAsync(ReceiveStream stream, CancellationToken cancellationToken)
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _started = true;
        }
        return _batch is { } batch
            ? ReceiveStream.RunOnThread("spead2 recv udp", () => RunBatched(batch, stream, cancellationToken))
            : ReceiveStream.RunOnThread("spead2 recv udp (portable)", () => RunPortable(stream, cancellationToken));
    }

    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunBatched(UdpBatchReceiver batch, ReceiveStream stream, CancellationToken cancellationToken)
    {
        var handle = _socket.SafeHandle;
        bool added = false;
        try
        {
            // Keeps the descriptor open (and its number ours) until the thread is done with it, even
            // if the socket is disposed meanwhile.
            handle.DangerousAddRef(ref added);
            using var registration = cancellationToken.Register(static b => ((UdpBatchReceiver)b!).Wake(), batch);
            var ready = new List<ReceivedHeap>();
            while (!cancellationToken.IsCancellationRequested)
            {
                ObjectDisposedException.ThrowIf(_closed, this);
                int count = batch.Receive();
                if (count == 0)
                {
                    // Woken, idle with news of drops, or a poll timeout: count drops, look at the stop conditions.
                    stream.CountKernelDrops(batch);
                    continue;
                }
                bool stopped = stream.AddDatagrams(batch, count, _maxPacketSize, ready);
                if (ready.Count > 0)
                    stream.DeliverBlocking(ready);
                if (stopped)
                    return;
            }
        }
        finally
        {
            batch.Dispose();
            if (added)
                handle.DangerousRelease();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunPortable(ReceiveStream stream, CancellationToken cancellationToken)
    {
        // One byte more than the limit, so that an oversized datagram shows up as too long
        // instead of being silently truncated to a plausible size.
        var buffer = GC.AllocateUninitializedArray<byte>(_maxPacketSize + 1);
        var ready = new List<ReceivedHeap>();
        // Closing the socket is what ends a blocking receive.
        using var registration = cancellationToken.Register(static s => ((Socket)s!).Dispose(), _socket);
        while (!cancellationToken.IsCancellationRequested)
        {
            int length = _socket.Receive(buffer.AsSpan(), SocketFlags.None);
            bool stopped = length > _maxPacketSize
                ? stream.CountMalformed()
                : stream.AddPacket(buffer.AsSpan(0, length), ready, requireExactLength: true);
            if (ready.Count > 0)
                stream.DeliverBlocking(ready);
            if (stopped)
                return;
        }
    }

    /// <summary>Whether <see cref="PortableEnvironmentVariable"/> asks for the portable receive path.</summary>
    internal static bool IsPortableForcedByEnvironment() => EnvironmentSwitch.IsSet(PortableEnvironmentVariable);

    /// <summary>Closes the socket (the stream does this when it stops).</summary>
    public void Dispose()
    {
        bool started;
        lock (_stateLock)
        {
            if (_closed)
                return;
            _closed = true;
            started = _started;
        }
        if (_batch is not null)
        {
            // A running thread frees the batch buffers itself when it leaves; otherwise free them here.
            if (started)
                _batch.Wake();
            else
                _batch.Dispose();
        }
        _socket.Dispose();
    }
}
