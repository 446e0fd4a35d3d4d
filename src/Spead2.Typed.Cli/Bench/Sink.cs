using System.Net;
using System.Net.Sockets;

namespace Spead2.Cli.Bench;

/// <summary>
/// A UDP socket bound on 127.0.0.1 that the benchmarks send to. With <see cref="SinkMode.Read"/> a thread reads and
/// discards every datagram and counts them (like spead2's sink); with <see cref="SinkMode.None"/> nobody reads and the
/// kernel drops what overflows the receive buffer.
/// </summary>
internal sealed class Sink : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread? _thread;
    private volatile bool _stop;
    private long _packets;
    private long _bytes;

    public Sink(SinkMode mode, int receiveBufferSize)
    {
        _socket.ReceiveBufferSize = receiveBufferSize;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        if (mode == SinkMode.Read)
        {
            // The timeout lets the thread see _stop when nothing arrives.
            _socket.ReceiveTimeout = 100;
            _thread = new Thread(ReadLoop) { IsBackground = true, Name = "sink" };
            _thread.Start();
        }
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>Datagrams read so far (0 when nobody reads).</summary>
    public long Packets => Interlocked.Read(ref _packets);

    /// <summary>Bytes read so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Whether a thread reads the socket.</summary>
    public bool Reads => _thread is not null;

    private void ReadLoop()
    {
        var buffer = new byte[65536];
        while (!_stop)
        {
            try
            {
                int n = _socket.Receive(buffer);
                Interlocked.Increment(ref _packets);
                Interlocked.Add(ref _bytes, n);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                // Nothing arrived for a while: look at _stop again.
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        _socket.Dispose();
    }
}
