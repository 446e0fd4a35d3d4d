using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Tests.Support;

namespace Spead2.Tests.Recv;

public class MulticastIsolationTests
{
    /// <summary>Two readers on the same port, joined to different groups, each hear only their own group.</summary>
    [Fact]
    public async Task ReadersOnOnePortHearOnlyTheirGroup()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var groupA = IPAddress.Parse("239.255.78.1");
        var groupB = IPAddress.Parse("239.255.78.2");
        await using var a = new ReceiveStream();
        var readerA = a.AddUdpMulticastReader(groupA, 0, IPAddress.Loopback);
        int port = readerA.LocalEndPoint.Port;
        await using var b = new ReceiveStream();
        b.AddUdpMulticastReader(groupB, port, IPAddress.Loopback);

        var config = new StreamConfig { Rate = 50e6 };
        await using (var sender = new UdpStream([new IPEndPoint(groupA, port), new IPEndPoint(groupB, port)], config, new() { BufferSize = 0, Ttl = 1, InterfaceAddress = IPAddress.Loopback }))
        {
            for (int i = 0; i < 3; i++)
            {
                var heap = new Heap();
                heap.AddItem(0x1000, new byte[] { (byte)i, 1, 2, 3, 4, 5, 6, 7 });
                await sender.SendHeapAsync(heap, substreamIndex: 0);
            }
            var end = new Heap();
            end.AddEnd();
            await sender.SendHeapAsync(end, substreamIndex: 0);
            await sender.SendHeapAsync(end, substreamIndex: 1);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int countA = 0, countB = 0;
        await foreach (var heap in a.WithCancellation(cts.Token))
        {
            heap.Dispose();
            countA++;
        }
        await foreach (var heap in b.WithCancellation(cts.Token))
        {
            heap.Dispose();
            countB++;
        }
        Assert.Equal(3, countA);
        Assert.Equal(0, countB);
    }
}
