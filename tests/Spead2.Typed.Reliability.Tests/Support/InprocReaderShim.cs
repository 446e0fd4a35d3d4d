using System.Net;
using System.Net.Sockets;
using Spead2.Recv;

namespace Spead2.Reliability.Tests;

/// <summary>
/// TEMPORARY until the receive side's in-process reader lands in main (an instance method of the same name then
/// takes precedence and this is removed): carries a queue's packets to the stream over a loopback TCP connection.
/// </summary>
internal static class InprocReaderShim
{
    public static void AddInprocReader(this ReceiveStream stream, InprocQueue queue)
    {
        TcpReader reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0), maxPacketSize: TcpReader.MaxMaxPacketSize);
        _ = Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(reader.LocalEndPoint);
            await foreach (byte[] packet in queue.ReadAllAsync())
            {
                await socket.SendAsync(packet, SocketFlags.None);
            }
            socket.Shutdown(SocketShutdown.Send);
        });
    }
}
