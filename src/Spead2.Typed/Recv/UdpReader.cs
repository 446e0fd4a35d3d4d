using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Spead2.Recv;

/// <summary>
/// A UDP reader of a <see cref="ReceiveStream"/> (made by <see cref="ReceiveStream.AddUdpReader"/> or
/// <see cref="ReceiveStream.AddUdpMulticastReader"/>). One datagram is one packet; a datagram
/// larger than the limit, or with bytes after its packet, is dropped as malformed.
/// </summary>
public sealed class UdpReader : IDisposable
{
    /// <summary>spead2's default largest datagram for a UDP reader.</summary>
    public const int DefaultMaxPacketSize = 9200;

    /// <summary>spead2's default socket receive buffer for a UDP reader: 8 MiB.</summary>
    public const int DefaultBufferSize = 8 << 20;

    /// <summary>Largest accepted maximum packet size (the largest UDP payload).</summary>
    public const int MaxMaxPacketSize = 65507;

    private static readonly Action<ILogger, int, int, Exception?> LogSmallBuffer =
        LoggerMessage.Define<int, int>(LogLevel.Warning, new EventId(3, "SmallSocketBuffer"),
            "Requested socket buffer size {Requested} but only received {Actual}");

    private readonly Socket _socket;
    private readonly int _maxPacketSize;

    private UdpReader(Socket socket, int maxPacketSize)
    {
        _socket = socket;
        _maxPacketSize = maxPacketSize;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The endpoint the socket is bound to (with the chosen port if 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The socket receive buffer size the OS granted (Linux reports double the request).</summary>
    public int ReceiveBufferSize => _socket.ReceiveBufferSize;

    internal static UdpReader Create(IPEndPoint endpoint, IPAddress? group, IPAddress? interfaceAddress,
        int maxPacketSize, int bufferSize, ILogger? logger)
    {
        ValidateSizes(maxPacketSize, bufferSize);
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
                reader._socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership,
                    new IPv6MulticastOption(group, interfaceIndex));
            else
                reader._socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership,
                    new MulticastOption(group, interfaceAddress ?? IPAddress.Any));
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
        if (actual < bufferSize && logger is not null)
            LogSmallBuffer(logger, bufferSize, actual, null);
    }

    internal async Task RunAsync(ReceiveStream stream, CancellationToken cancellationToken)
    {
        // One byte more than the limit, so that an oversized datagram shows up as too long
        // instead of being silently truncated to a plausible size.
        var buffer = GC.AllocateUninitializedArray<byte>(_maxPacketSize + 1, pinned: true);
        var ready = new List<ReceivedHeap>();
        using var registration = cancellationToken.Register(static s => ((Socket)s!).Dispose(), _socket);
        while (!cancellationToken.IsCancellationRequested)
        {
            int length = await _socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            bool stopped;
            if (length > _maxPacketSize)
            {
                stopped = stream.CountMalformed();
            }
            else
            {
                stopped = stream.AddPacket(buffer.AsSpan(0, length), ready, requireExactLength: true);
            }
            if (ready.Count > 0)
                await stream.DeliverAsync(ready).ConfigureAwait(false);
            if (stopped)
                return;
        }
    }

    /// <summary>Closes the socket (the stream does this when it stops).</summary>
    public void Dispose() => _socket.Dispose();
}
