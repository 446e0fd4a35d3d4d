// Substreams to multicast groups, with a TTL, an interface address and a rate limit.
// By default everything stays on this machine: the groups are sent through the loopback interface with TTL 1,
// and an in-process receiver joins each group on loopback and counts what arrives.
// Usage: Multicast [--interface ADDRESS] [--ttl N] [--rate GBPS] [--heaps N] [GROUP:PORT ...]
using System.Globalization;
using System.Net;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;

var groups = new List<IPEndPoint>();
var iface = IPAddress.Loopback;
int ttl = 1, heaps = 20;
double rateGbps = 0.2;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--interface": iface = IPAddress.Parse(args[++i]); break;
        case "--ttl": ttl = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--rate": rateGbps = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--heaps": heaps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: groups.Add(IPEndPoint.Parse(args[i])); break;
    }
}
if (groups.Count == 0)
    groups.AddRange([IPEndPoint.Parse("239.255.71.1:7148"), IPEndPoint.Parse("239.255.71.2:7148")]);

// One receiver per group, joined on the chosen interface (they only hear what reaches this machine).
var receivers = new List<(ReceiveStream Stream, Task<int> Count)>();
foreach (var g in groups)
{
    var stream = new ReceiveStream();
    stream.AddUdpMulticastReader(g.Address, g.Port, iface);
    receivers.Add((stream, CountAsync(stream)));
}

var config = new StreamConfig { Rate = rateGbps * 1e9 / 8, MaxPacketSize = 8972 };
await using (var sender = new UdpStream(groups, config, new UdpStreamOptions { Ttl = ttl, InterfaceAddress = iface }))
{
    var ig = new SendItemGroup(descriptorFrequency: 4);
    var data = ig.AddItem(0x1000, "samples", "ADC samples", [8192], dtype: "<i2");
    var samples = new short[8192];
    for (int n = 0; n < heaps; n++)
    {
        samples.AsSpan().Fill((short)n);
        data.Value = samples;
        // Heap n goes to substream n mod groups: one group per substream.
        await sender.SendHeapAsync(ig.GetHeap(), substreamIndex: n % groups.Count);
    }
    for (int s = 0; s < groups.Count; s++)
        await sender.SendHeapAsync(ig.GetEnd(), substreamIndex: s);
}

for (int s = 0; s < groups.Count; s++)
{
    var (stream, count) = receivers[s];
    var finished = await Task.WhenAny(count, Task.Delay(TimeSpan.FromSeconds(5)));
    string got = finished == count ? count.Result.ToString(CultureInfo.InvariantCulture) : "timed out";
    Console.WriteLine($"{groups[s]}: {got} heaps received (sent {(heaps + groups.Count - 1 - s) / groups.Count}) via {iface}, TTL {ttl}");
    await stream.DisposeAsync();
}

static async Task<int> CountAsync(ReceiveStream stream)
{
    int n = 0;
    await foreach (var heap in stream)
    {
        heap.Dispose();
        n++;
    }
    return n;
}
