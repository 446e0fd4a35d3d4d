// Sends typed heaps over UDP on the loopback interface and reports what went out and what arrived.
// Runs with no arguments: `dotnet run --project samples/TypedSender -c Release`.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Typed;
using TypedSender;

const int HeapCount = 10;

// A local receiver stands in for a spead2 receiver; it only counts datagrams and bytes.
using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
receiver.ReceiveBufferSize = 8 * 1024 * 1024;
receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
var port = ((IPEndPoint)receiver.LocalEndPoint!).Port;
using var cts = new CancellationTokenSource();
var received = Task.Run(() => Receive(receiver, cts.Token));

Console.WriteLine($"Descriptors of {nameof(Dump)}:");
foreach (var d in Dump.Descriptors)
{
    var type = d.Dtype ?? string.Join(", ", d.Format!);
    Console.WriteLine($"  0x{d.Id:X4} {d.Name,-10} shape ({string.Join(", ", d.Shape)}) {type}  \"{d.Description}\"");
}

long bytes = 0;
await using (var stream = new UdpStream("127.0.0.1", port, new StreamConfig { Rate = 1e9 }))
{
    var writer = new HeapWriter<Dump>(descriptorFrequency: 5);
    var vis = new float[2048];
    bytes += await stream.SendStartAsync(writer);
    for (var i = 0; i < HeapCount; i++)
    {
        vis.AsSpan().Fill(i);
        var dump = new Dump(Timestamp: 0x1_0000_0000UL + (ulong)i * 8192, Vis: vis, Source: "3C273");
        var sent = await stream.SendAsync(writer, dump);
        bytes += sent;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"heap {i + 1,2}: timestamp 0x{dump.Timestamp:X12}, vis[0] = {vis[0]}, {sent} bytes{(i % 5 == 0 ? " (with descriptors)" : "")}"));
    }

    bytes += await stream.SendEndAsync(writer);
}

// Loopback delivers in order; give the receiver a moment to drain, then stop it.
await Task.Delay(200);
cts.Cancel();
var (packets, receivedBytes) = await received;
Console.WriteLine($"Sent {HeapCount + 2} heaps ({bytes} bytes) to 127.0.0.1:{port}; the receiver got {packets} packets ({receivedBytes} bytes).");
return receivedBytes == bytes ? 0 : 1;

static async Task<(int Packets, long Bytes)> Receive(Socket socket, CancellationToken token)
{
    var buffer = new byte[65536];
    int packets = 0;
    long bytes = 0;
    try
    {
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            packets++;
            bytes += n;
        }
    }
    catch (OperationCanceledException)
    {
    }

    return (packets, bytes);
}
