using System.Net;
using System.Net.Sockets;
using Spead2.Send;

namespace Spead2.Tests.Support;

/// <summary>A plain UDP receiver on loopback that collects datagrams.</summary>
internal sealed class UdpReceiver : IDisposable
{
    public UdpReceiver(IPAddress address)
    {
        Socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Generous, so a burst on loopback is not dropped by the receiver.
        Socket.ReceiveBufferSize = 8 << 20;
        Socket.Bind(new IPEndPoint(address, 0));
        EndPoint = (IPEndPoint)Socket.LocalEndPoint!;
    }

    public Socket Socket { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>Receives datagrams until <paramref name="count"/> have arrived or nothing comes for a while.</summary>
    public List<byte[]> Receive(int count, int quietMs = 5000)
    {
        var result = new List<byte[]>();
        var buffer = new byte[70000];
        Socket.ReceiveTimeout = quietMs;
        while (result.Count < count)
        {
            try
            {
                int n = Socket.Receive(buffer);
                result.Add(buffer.AsSpan(0, n).ToArray());
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                break;
            }
        }
        return result;
    }

    public void Dispose() => Socket.Dispose();
}
