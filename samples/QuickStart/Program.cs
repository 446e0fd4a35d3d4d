// QuickStart: a typed record sent as SPEAD heaps over UDP on 127.0.0.1 and received in the same program.
// Run with no arguments: dotnet run --project samples/QuickStart -c Release
// Options: --heaps N (default 5), --port P (default: any free port).
using System.Globalization;
using System.Net;
using QuickStart;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Typed;

int heaps = ArgValue(args, "--heaps", 5);
int port = ArgValue(args, "--port", 0);

// The receiver: spead2's rules (heap assembly, descriptors, item values), listening on loopback.
await using var receiver = new ReceiveStream();
var reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, port));
var receiving = ReceiveAllAsync(receiver);
var sentDumps = new List<Dump>();

// The sender: a UDP stream paced at 1 Gb/s, and a typed heap writer that sends descriptors with the first heap.
var config = new StreamConfig { Rate = 1e9 / 8 };
await using (var stream = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port, config))
{
    var writer = new HeapWriter<Dump>();
    var vis = new float[8];
    await stream.SendStartAsync(writer);
    for (int i = 0; i < heaps; i++)
    {
        for (int j = 0; j < vis.Length; j++)
            vis[j] = i + j / 10f;
        var dump = new Dump(Timestamp: 0x1_0000_0000UL + (ulong)i * 8192, Vis: vis, Source: "3C273");
        long bytes = await stream.SendAsync(writer, dump);
        sentDumps.Add(dump with { Vis = (float[])vis.Clone() });
        Console.WriteLine(Invariant($"sent     heap {i + 1}: timestamp=0x{dump.Timestamp:X12} vis=[{string.Join(", ", vis)}] source={dump.Source} ({bytes} bytes)"));
    }
    // The end-of-stream heap stops the receiver.
    await stream.SendEndAsync(writer);
}

var received = await receiving;
bool same = received.Count == sentDumps.Count && received.Zip(sentDumps).All(p =>
    p.First.Timestamp == p.Second.Timestamp && p.First.Source == p.Second.Source && p.First.Vis.SequenceEqual(p.Second.Vis));
Console.WriteLine(same ? $"OK: {received.Count} heaps sent and received intact." : $"MISMATCH: sent {sentDumps.Count}, received {received.Count}.");
return same ? 0 : 1;

static async Task<List<Dump>> ReceiveAllAsync(ReceiveStream stream)
{
    // Typed decoding: each heap that carries a Dump comes back as a Dump, checked against the sender's descriptors.
    var dumps = new List<Dump>();
    await foreach (var dump in stream.ReadAllAsync<Dump>())
    {
        dumps.Add(dump);
        Console.WriteLine(Invariant($"received heap {dumps.Count}: timestamp=0x{dump.Timestamp:X12} vis=[{string.Join(", ", dump.Vis)}] source={dump.Source}"));
    }
    return dumps;
}

static int ArgValue(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
