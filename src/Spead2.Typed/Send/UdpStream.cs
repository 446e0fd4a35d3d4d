using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Spead2.Send.Transports;

namespace Spead2.Send;

/// <summary>
/// A stream that sends each packet as one UDP datagram. Each endpoint is a substream.
/// </summary>
/// <remarks>
/// UDP is unreliable: nothing tells whether packets arrived. A packet the OS refuses (for example one larger than
/// the path allows) fails its heap's send with an <see cref="IOException"/>; the rest of the heap is still sent.
/// </remarks>
public sealed class UdpStream : SendStream
{
    /// <summary>spead2's default socket send buffer, 512 KiB.</summary>
    public const int DefaultBufferSize = 512 * 1024;

    private readonly UdpTransport _udp;

    /// <summary>Sends to one host (spead2's <c>UdpStream(thread_pool, hostname, port, config, buffer_size, interface_address)</c>).</summary>
    /// <param name="host">Host name or address literal of the receiver.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default); a warning is logged if the OS grants less.</param>
    /// <param name="interfaceAddress">Source address to bind to (chooses the interface), or null.</param>
    public UdpStream(string host, int port, StreamConfig? config = null, int bufferSize = DefaultBufferSize, string? interfaceAddress = null)
        : this(ResolveOne(host, port, interfaceAddress), config, new UdpStreamOptions
        {
            BufferSize = bufferSize,
            InterfaceAddress = interfaceAddress is null ? null : SocketHelpers.Resolve(interfaceAddress, null, nameof(interfaceAddress)),
        })
    {
    }

    /// <summary>
    /// Sends to a multicast group (by name or address literal) with a TTL (spead2's
    /// <c>UdpStream(thread_pool, multicast_group, port, config, buffer_size, ttl)</c>).
    /// </summary>
    /// <param name="multicastGroup">Multicast group host name or address literal.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default).</param>
    /// <param name="ttl">Multicast TTL / hop limit, 0 to 255.</param>
    public UdpStream(string multicastGroup, int port, StreamConfig? config, int bufferSize, int ttl)
        : this(ResolveOne(multicastGroup, port, (AddressFamily?)null), config, new UdpStreamOptions { BufferSize = bufferSize, Ttl = ttl })
    {
    }

    /// <summary>
    /// Sends to an IPv4 multicast group (by name or address literal) with a TTL through the given interface (spead2's
    /// <c>UdpStream(thread_pool, multicast_group, port, config, buffer_size, ttl, interface_address)</c>).
    /// </summary>
    /// <param name="multicastGroup">Multicast group host name or address literal.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default).</param>
    /// <param name="ttl">Multicast TTL, 0 to 255.</param>
    /// <param name="interfaceAddress">IPv4 address of the interface to send on.</param>
    public UdpStream(string multicastGroup, int port, StreamConfig? config, int bufferSize, int ttl, IPAddress interfaceAddress)
        : this(ResolveOne(multicastGroup, port, AddressFamily.InterNetwork), config, new UdpStreamOptions
        {
            BufferSize = bufferSize,
            Ttl = ttl,
            InterfaceAddress = interfaceAddress ?? throw new ArgumentNullException(nameof(interfaceAddress)),
        })
    {
    }

    /// <summary>
    /// Sends to an IPv6 multicast group (by name or address literal) with a hop limit through the given interface
    /// (spead2's <c>UdpStream(thread_pool, multicast_group, port, config, buffer_size, ttl, interface_index)</c>).
    /// </summary>
    /// <param name="multicastGroup">Multicast group host name or address literal.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default).</param>
    /// <param name="ttl">Hop limit, 0 to 255.</param>
    /// <param name="interfaceIndex">Index of the interface to send on.</param>
    public UdpStream(string multicastGroup, int port, StreamConfig? config, int bufferSize, int ttl, int interfaceIndex)
        : this(ResolveOne(multicastGroup, port, AddressFamily.InterNetworkV6), config, new UdpStreamOptions
        {
            BufferSize = bufferSize,
            Ttl = ttl,
            InterfaceIndex = interfaceIndex,
        })
    {
    }

    /// <summary>
    /// Sends to several endpoints, one substream each (spead2's C++ <c>udp_stream(io, endpoints, config, ...)</c>);
    /// buffer size, multicast TTL, interface and transport switches come in <paramref name="options"/>.
    /// </summary>
    /// <param name="endpoints">The destinations, all of one address family; substream <c>i</c> is <c>endpoints[i]</c>.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="options">Socket and transport settings; the defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    public UdpStream(IReadOnlyList<IPEndPoint> endpoints, StreamConfig? config = null, UdpStreamOptions? options = null,
        TimeProvider? timeProvider = null)
        : this(Create(endpoints, options ?? new UdpStreamOptions(), CreateLogger(config)), config, timeProvider)
    {
    }

    /// <summary>
    /// Sends through an existing UDP socket, which is duplicated: the caller may close theirs at once. The caller is
    /// responsible for its options (buffer size, TTL, binding); it must not be connected.
    /// </summary>
    /// <param name="socket">An unconnected UDP socket.</param>
    /// <param name="endpoints">The destinations, one per substream, in the socket's address family.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    public UdpStream(Socket socket, IReadOnlyList<IPEndPoint> endpoints, StreamConfig? config = null, TimeProvider? timeProvider = null)
        : this(CreateFromSocket(socket, endpoints), config, timeProvider)
    {
    }

    /// <summary>
    /// Sends to one host through an existing, unconnected UDP socket, duplicated (spead2's
    /// <c>UdpStream(thread_pool, socket, hostname, port, config)</c>; see the other overload).
    /// </summary>
    /// <param name="socket">An unconnected UDP socket.</param>
    /// <param name="host">Host name or address literal of the receiver.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    public UdpStream(Socket socket, string host, int port, StreamConfig? config = null)
        : this(CreateFromSocket(socket, ResolveOne(host, port, (socket ?? throw new ArgumentNullException(nameof(socket))).AddressFamily)),
            config, null)
    {
    }

    private UdpStream(IPEndPoint[] endpoints, StreamConfig? config, UdpStreamOptions options)
        : this(Create(endpoints, options, CreateLogger(config)), config, null)
    {
    }

    private UdpStream(UdpTransport transport, StreamConfig? config, TimeProvider? timeProvider)
        : base(transport, config, timeProvider)
    {
        _udp = transport;
    }

    /// <summary>The destinations, one per substream.</summary>
    public IReadOnlyList<IPEndPoint> Endpoints => _udp.Endpoints;

    /// <summary>The local address the socket is bound to (after the first send if it was not bound explicitly).</summary>
    public EndPoint? LocalEndPoint => _udp.Socket.LocalEndPoint;

    private static IPEndPoint[] ResolveOne(string host, int port, string? interfaceAddress)
    {
        AddressFamily? family = null;
        if (interfaceAddress is not null && IPAddress.TryParse(interfaceAddress, out IPAddress? local))
        {
            family = local.AddressFamily;
        }
        return ResolveOne(host, port, family);
    }

    private static IPEndPoint[] ResolveOne(string host, int port, AddressFamily? family)
    {
        CheckPort(port, nameof(port));
        return [new IPEndPoint(SocketHelpers.Resolve(host, family, nameof(host)), port)];
    }

    private static void CheckPort(int port, string paramName)
    {
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(paramName, port, $"The port must be from {IPEndPoint.MinPort} to {IPEndPoint.MaxPort}.");
        }
    }

    private static IPEndPoint[] CheckEndpoints(IReadOnlyList<IPEndPoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("The endpoint list must be non-empty.", nameof(endpoints));
        }
        var copy = new IPEndPoint[endpoints.Count];
        AddressFamily family = AddressFamily.Unspecified;
        for (int i = 0; i < copy.Length; i++)
        {
            IPEndPoint e = endpoints[i] ?? throw new ArgumentException($"Endpoint {i} is null.", nameof(endpoints));
            if (e.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            {
                throw new ArgumentException($"Endpoint {i} ({e}) is not an IPv4 or IPv6 endpoint.", nameof(endpoints));
            }
            if (i == 0)
            {
                family = e.AddressFamily;
            }
            else if (e.AddressFamily != family)
            {
                throw new ArgumentException($"Endpoint {i} ({e}) is not in the address family of endpoint 0 ({endpoints[0]}): one socket serves them all.", nameof(endpoints));
            }
            copy[i] = e;
        }
        return copy;
    }

    private static UdpTransport Create(IReadOnlyList<IPEndPoint> endpoints, UdpStreamOptions options, ILogger logger)
    {
        IPEndPoint[] checkedEndpoints = CheckEndpoints(endpoints);
        int bufferSize = options.BufferSize;
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize, nameof(options) + "." + nameof(UdpStreamOptions.BufferSize));
        AddressFamily family = checkedEndpoints[0].AddressFamily;
        IPAddress? interfaceAddress = options.InterfaceAddress;
        if (options.Ttl is not { } ttl)
        {
            if (options.InterfaceIndex is not null)
            {
                throw new ArgumentException("An interface index selects the interface of IPv6 multicast: it needs a Ttl too.", nameof(options));
            }
            if (interfaceAddress is not null && interfaceAddress.AddressFamily != family)
            {
                throw new ArgumentException($"The interface address {interfaceAddress} is not in the endpoints' address family.", nameof(options));
            }
        }
        else
        {
            if (ttl is < 0 or > 255)
            {
                throw new ArgumentOutOfRangeException(nameof(options), ttl, "The multicast TTL (options.Ttl) must be from 0 to 255.");
            }
            foreach (IPEndPoint e in checkedEndpoints)
            {
                bool multicast = family == AddressFamily.InterNetwork
                    ? (e.Address.GetAddressBytes()[0] & 0xF0) == 0xE0
                    : e.Address.IsIPv6Multicast;
                if (!multicast)
                {
                    throw new ArgumentException($"Endpoint {e} is not a multicast address.", nameof(endpoints));
                }
            }
            if (interfaceAddress is not null)
            {
                if (family != AddressFamily.InterNetwork)
                {
                    throw new ArgumentException("An interface address can only be given with IPv4 multicast endpoints; use an interface index for IPv6.", nameof(endpoints));
                }
                if (interfaceAddress.AddressFamily != AddressFamily.InterNetwork)
                {
                    throw new ArgumentException($"The interface address {interfaceAddress} is not an IPv4 address.", nameof(options));
                }
            }
            if (options.InterfaceIndex is { } index)
            {
                if (family != AddressFamily.InterNetworkV6)
                {
                    throw new ArgumentException("An interface index can only be given with IPv6 multicast endpoints; use an interface address for IPv4.", nameof(endpoints));
                }
                ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(options) + "." + nameof(UdpStreamOptions.InterfaceIndex));
            }
        }

        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            SocketHelpers.SetSendBufferSize(socket, bufferSize, logger);
            if (options.Ttl is not { } hops)
            {
                if (interfaceAddress is not null)
                {
                    socket.Bind(new IPEndPoint(interfaceAddress, 0));
                }
            }
            else if (family == AddressFamily.InterNetwork)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, hops);
                if (interfaceAddress is not null)
                {
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, interfaceAddress.GetAddressBytes());
                }
            }
            else
            {
                // IPV6_MULTICAST_HOPS
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, hops);
                if (options.InterfaceIndex is { } i)
                {
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, i);
                }
            }
            return new UdpTransport(socket, checkedEndpoints, options.PortableSend, options.Gso);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static UdpTransport CreateFromSocket(Socket socket, IReadOnlyList<IPEndPoint> endpoints)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException($"The socket is a {socket.SocketType} socket, not a datagram (UDP) socket.", nameof(socket));
        }
        if (socket.Connected)
        {
            throw new ArgumentException("The socket must not be connected.", nameof(socket));
        }
        IPEndPoint[] checkedEndpoints = CheckEndpoints(endpoints);
        AddressFamily family = socket.AddressFamily;
        for (int i = 0; i < checkedEndpoints.Length; i++)
        {
            IPEndPoint e = checkedEndpoints[i];
            if (e.AddressFamily == family)
            {
                continue;
            }
            if (family == AddressFamily.InterNetworkV6 && socket.DualMode && e.AddressFamily == AddressFamily.InterNetwork)
            {
                checkedEndpoints[i] = new IPEndPoint(e.Address.MapToIPv6(), e.Port);
                continue;
            }
            throw new ArgumentException($"Endpoint {e} does not match the socket's address family {family}.", nameof(endpoints));
        }
        Socket duplicate = SocketHelpers.Duplicate(socket);
        return new UdpTransport(duplicate, checkedEndpoints, forcePortable: false, allowGso: true);
    }

    /// <summary>One datagram per packet, to the packet's substream endpoint.</summary>
    private sealed class UdpTransport : SocketBatchTransport
    {
        private readonly bool _forcePortable;
        private readonly bool _allowGso;

        public UdpTransport(Socket socket, IPEndPoint[] endpoints, bool forcePortable, bool allowGso)
            : base(endpoints.Length)
        {
            Socket = socket;
            Endpoints = endpoints;
            _forcePortable = forcePortable;
            _allowGso = allowGso;
        }

        public Socket Socket { get; }

        public IPEndPoint[] Endpoints { get; }

        // sendmmsg + UDP GSO on 64-bit Linux, Socket.SendTo elsewhere or when forced (Send/Native).
        protected override Native.PacketBatch CreateBatch(int maxPackets, int packetSize) =>
            Native.HeapBatching.CreateUdpGatherBatch(Socket, Endpoints, maxPackets, packetSize, _forcePortable, _allowGso);

        public override void Dispose()
        {
            base.Dispose();
            Socket.Dispose();
        }
    }
}
