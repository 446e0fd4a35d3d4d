using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Spead2.Recv;

/// <summary>
/// A TCP reader of a <see cref="ReceiveStream"/> (made by <see cref="ReceiveStream.AddTcpReader"/>):
/// listens, accepts exactly one sender, then closes the listening socket and reads packets from
/// the connection until the sender closes it.
/// </summary>
public sealed class TcpReader : IDisposable
{
    /// <summary>spead2's default largest packet for a TCP reader.</summary>
    public const int DefaultMaxPacketSize = 65536;

    /// <summary>spead2's default socket receive buffer for a TCP reader: 208 KiB.</summary>
    public const int DefaultBufferSize = 208 * 1024;

    /// <summary>
    /// Smallest framing buffer, which is what one read may fill: large reads keep system calls per
    /// packet well below one.
    /// </summary>
    internal const int ReadSize = 1 << 20;

    /// <summary>Largest accepted maximum packet size (64 MiB).</summary>
    public const int MaxMaxPacketSize = 64 << 20;

    private readonly Socket _listener;
    private readonly int _maxPacketSize;
    private Socket? _peer;

    private TcpReader(Socket listener, int maxPacketSize)
    {
        _listener = listener;
        _maxPacketSize = maxPacketSize;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>The endpoint the listening socket is bound to (with the chosen port if 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The sender's endpoint once a connection has been accepted, otherwise null.</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    internal static TcpReader Create(IPEndPoint endpoint, int maxPacketSize, int bufferSize, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacketSize, 8, nameof(maxPacketSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPacketSize, MaxMaxPacketSize, nameof(maxPacketSize));
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize, nameof(bufferSize));
        ReceiveWarmUp.EnsureDone();
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT as well, which would let a
            // second listener share the port and split the connections.
            // Sized on the listening socket, as spead2 does: the accepted connection inherits it, and the
            // TCP handshake already knows the buffer it may advertise.
            UdpReader.SetBufferSize(listener, bufferSize, logger);
            listener.Bind(endpoint);
            listener.Listen(1);
            return new TcpReader(listener, maxPacketSize);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"Cannot listen for TCP on {endpoint}: {e.Message}", e);
        }
    }

    internal async Task RunAsync(ReceiveStream stream, CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(static s => ((TcpReader)s!).Dispose(), this);
        var peer = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        _listener.Dispose();
        _peer = peer;
        if (cancellationToken.IsCancellationRequested)
        {
            peer.Dispose();
            return;
        }
        RemoteEndPoint = peer.RemoteEndPoint as IPEndPoint;

        // The byte stream is read on a thread of its own with large blocking reads; each packet's
        // payload is then copied once, from the read buffer into its heap.
        await ReceiveStream.RunOnThread("spead2 recv tcp", () => ReadLoop(peer, stream, cancellationToken)).ConfigureAwait(false);
    }

    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadLoop(Socket peer, ReceiveStream stream, CancellationToken cancellationToken)
    {
        // A socket in .NET's non-blocking mode (an accepted one is) serves a synchronous Receive by
        // waiting for its epoll event, which goes through a thread-pool worker: a hand-off per read.
        // In blocking mode the read is one plain system call; disposing the socket still ends it.
        peer.Blocking = true;
        var framer = new PacketFramer(_maxPacketSize, ReadSize);
        var ready = new List<ReceivedHeap>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var space = framer.GetReceiveSpace();
            int received = peer.Receive(space.Span, SocketFlags.None);
            if (received == 0)
                return;     // the sender closed: the stream stops (the caller does it)
            bool stopped = stream.Frame(framer, received, ready);
            if (ready.Count > 0)
                stream.DeliverBlocking(ready);
            if (stopped)
                return;
        }
    }

    /// <summary>Closes the sockets (the stream does this when it stops).</summary>
    public void Dispose()
    {
        _listener.Dispose();
        _peer?.Dispose();
    }
}
