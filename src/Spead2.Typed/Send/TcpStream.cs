using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spead2.Send.Transports;

namespace Spead2.Send;

/// <summary>
/// A stream over one TCP connection: packets are written back to back with no extra framing (the receiver finds
/// each packet's size from its header). It has exactly one substream.
/// </summary>
/// <remarks>
/// The default <see cref="StreamConfig.MaxPacketSize"/> (1472) is small for TCP; larger packets are cheaper, but keep
/// them within the receiver's limit (65536 for spead2's TCP reader). If the connection breaks, the heap being sent
/// and every later one fail with an <see cref="IOException"/>.
/// </remarks>
public sealed class TcpStream : SendStream
{
    /// <summary>spead2's default TCP socket send buffer, 208 KiB.</summary>
    public const int DefaultBufferSize = 208 * 1024;

    private readonly TcpTransport _tcp;

    /// <summary>
    /// Sends over an already connected TCP socket, which is duplicated: the caller may close theirs at once. The
    /// caller is responsible for its options.
    /// </summary>
    /// <param name="socket">A connected stream socket.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    /// <exception cref="ArgumentException">The socket is not a connected stream socket.</exception>
    public TcpStream(Socket socket, StreamConfig? config = null, TimeProvider? timeProvider = null)
        : this(new TcpTransport(CheckAndDuplicate(socket)), config, timeProvider)
    {
    }

    private TcpStream(TcpTransport transport, StreamConfig? config, TimeProvider? timeProvider)
        : base(transport, config, timeProvider)
    {
        _tcp = transport;
    }

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint => _tcp.RemoteEndPoint;

    /// <summary>The local address of the connection.</summary>
    public EndPoint? LocalEndPoint => _tcp.LocalEndPoint;

    /// <summary>Connects to <paramref name="endpoint"/> and returns a stream over the connection.</summary>
    /// <param name="endpoint">The receiver: an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default); a warning is logged if the OS grants less.</param>
    /// <param name="interfaceAddress">Source address to bind to, or null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    /// <param name="cancellationToken">Abandons the connection attempt.</param>
    /// <exception cref="IOException">The connection could not be made.</exception>
    public static async Task<TcpStream> ConnectAsync(EndPoint endpoint, StreamConfig? config = null, int bufferSize = DefaultBufferSize,
        IPAddress? interfaceAddress = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize);
        IPEndPoint target = endpoint switch
        {
            IPEndPoint ip => ip,
            DnsEndPoint dns => new IPEndPoint(
                await SocketHelpers.ResolveAsync(dns.Host, interfaceAddress?.AddressFamily, cancellationToken).ConfigureAwait(false), dns.Port),
            _ => throw new ArgumentException($"Unsupported endpoint type {endpoint.GetType().Name}: use an IPEndPoint or a DnsEndPoint.", nameof(endpoint)),
        };
        if (interfaceAddress is not null && interfaceAddress.AddressFamily != target.AddressFamily)
        {
            throw new ArgumentException($"The interface address {interfaceAddress} is not in the address family of {target}.", nameof(interfaceAddress));
        }
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            SocketHelpers.SetSendBufferSize(socket, bufferSize, CreateLogger(config));
            if (interfaceAddress is not null)
            {
                socket.Bind(new IPEndPoint(interfaceAddress, 0));
            }
            try
            {
                await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new IOException($"Could not connect to {target}: {e.Message} ({e.SocketErrorCode}).", e);
            }
            socket.NoDelay = true;
            return new TcpStream(new TcpTransport(socket), config, timeProvider);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and returns a stream over the connection.</summary>
    /// <param name="host">Host name or address literal of the receiver.</param>
    /// <param name="port">Destination port.</param>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="bufferSize">Socket send buffer in bytes (0 = OS default).</param>
    /// <param name="interfaceAddress">Source address to bind to, or null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    /// <param name="cancellationToken">Abandons the connection attempt.</param>
    public static Task<TcpStream> ConnectAsync(string host, int port, StreamConfig? config = null, int bufferSize = DefaultBufferSize,
        IPAddress? interfaceAddress = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, $"The port must be from {IPEndPoint.MinPort} to {IPEndPoint.MaxPort}.");
        }
        EndPoint endpoint = IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);
        return ConnectAsync(endpoint, config, bufferSize, interfaceAddress, timeProvider, cancellationToken);
    }

    private static Socket CheckAndDuplicate(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream)
        {
            throw new ArgumentException($"The socket is a {socket.SocketType} socket, not a stream (TCP) socket.", nameof(socket));
        }
        if (!socket.Connected)
        {
            throw new ArgumentException("The socket must already be connected.", nameof(socket));
        }
        return SocketHelpers.Duplicate(socket);
    }

    /// <summary>Writes each batch of packets with as few system calls as the socket allows.</summary>
    private sealed class TcpTransport : SocketBatchTransport
    {
        private readonly Socket _socket;

        public TcpTransport(Socket socket)
            : base(1)
        {
            _socket = socket;
            RemoteEndPoint = socket.RemoteEndPoint;
            LocalEndPoint = socket.LocalEndPoint;
        }

        public EndPoint? RemoteEndPoint { get; }

        public EndPoint? LocalEndPoint { get; }

        public override bool MayWaitOnPeer => true;

        // sendmsg gather writes on 64-bit Linux, Socket.Send of reused chunks elsewhere or when forced (Send/Native).
        // Once the connection is lost, every later packet fails with the same error.
        protected override Native.PacketBatch CreateBatch(int maxPackets, int packetSize) =>
            Native.HeapBatching.CreateTcpGatherBatch(_socket, maxPackets, packetSize);

        public override void Dispose()
        {
            base.Dispose();
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already broken: closing is all that is left.
            }
            _socket.Dispose();
        }
    }
}
