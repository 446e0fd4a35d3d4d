using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Spead2.Recv;
using Spead2.Recv.Native;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

/// <summary>The TCP reader reads with blocking calls on its own thread: stopping must still end them.</summary>
public class TcpReaderThreadTests
{
    [Fact]
    public async Task StoppingEndsABlockedReadOfAnOpenConnection()
    {
        var stream = new ReceiveStream();
        var reader = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(reader.LocalEndPoint);
        await client.SendAsync(Concat(Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[3000])], chunk: 1000)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using (var heap = await stream.ReadAsync(cts.Token))
            Assert.Equal(1, heap!.Cnt);
        // The connection stays open and silent: the reader thread is blocked in a read.
        await Task.Delay(100);
        Assert.False(stream.IsStopped);
        await stream.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(stream.IsStopped);
    }
}
