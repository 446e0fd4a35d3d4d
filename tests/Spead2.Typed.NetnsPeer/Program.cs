using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability;

/// <summary>
/// The other end of the multicast reliability test, run in a network namespace with <c>ip netns exec</c>:
/// <c>recv --group G --port P --iface A --heaps N --timeout-ms T</c> joins G on the interface with address A, prints
/// <c>READY</c>, and counts our heaps until N have arrived or T ms have passed (also reporting the IP TTL the first
/// packet arrived with, seen through a raw socket);
/// <c>send --group G --port P --iface A --ttl T --heaps N --size S [--small S2] [--packet B] [--df 1] --rate R</c> sends
/// N heaps through that interface (even ones with S payload bytes, odd ones with S2; with --df 1 from a socket that
/// refuses to fragment). A unicast G makes both sides use unicast.
/// Each prints one <c>RESULT key=value ...</c> line and exits 0, or prints the error and exits 1.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var options = ParseOptions(args.AsSpan(1));
            return args.Length > 0 && args[0] == "recv" ? await ReceiveAsync(options) : args.Length > 0 && args[0] == "send" ? Send(options) : Usage();
        }
        catch (Exception e)
        {
            Console.WriteLine($"ERROR {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    private static int Usage()
    {
        Console.WriteLine("ERROR usage: recv|send --group G --port P --iface A [--heaps N] [--ttl T] [--size S] [--rate R] [--timeout-ms T]");
        return 2;
    }

    private static Dictionary<string, string> ParseOptions(ReadOnlySpan<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }
        return options;
    }

    private static string Get(Dictionary<string, string> o, string key, string? fallback = null) =>
        o.TryGetValue(key, out string? v) ? v : fallback ?? throw new ArgumentException($"--{key} is required");

    private static int GetInt(Dictionary<string, string> o, string key, string? fallback = null) =>
        int.Parse(Get(o, key, fallback), CultureInfo.InvariantCulture);

    private static async Task<int> ReceiveAsync(Dictionary<string, string> o)
    {
        var group = IPAddress.Parse(Get(o, "group"));
        int port = GetInt(o, "port");
        var iface = IPAddress.Parse(Get(o, "iface"));
        int expected = GetInt(o, "heaps");
        int timeoutMs = GetInt(o, "timeout-ms", "20000");

        await using var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 64 });
        if (IsMulticast(group))
        {
            stream.AddUdpMulticastReader(group, port, iface, maxPacketSize: 9200);
        }
        else
        {
            stream.AddUdpReader(new IPEndPoint(group, port), maxPacketSize: 9200);
        }
        // A raw socket sees the IP header, so the TTL the packets arrived with can be reported (needs root).
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Udp);
        int seenTtl = -1;
        var ttlProbe = Task.Run(() =>
        {
            var buffer = new byte[65536];
            try
            {
                while (true)
                {
                    int n = raw.Receive(buffer);
                    int ihl = (buffer[0] & 0x0F) * 4;
                    if (n >= ihl + 4 && buffer.AsSpan(16, 4).SequenceEqual(group.GetAddressBytes())
                        && ((buffer[ihl + 2] << 8) | buffer[ihl + 3]) == port)
                    {
                        seenTtl = buffer[8];
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Closed at the end.
            }
        });
        Console.WriteLine("READY");
        Console.Out.Flush();

        int heaps = 0, intact = 0, foreign = 0;
        long lastSequence = -1;
        bool inOrder = true;
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            await foreach (ReceivedHeap heap in stream.WithCancellation(cts.Token))
            {
                using (heap)
                {
                    if (!LoadHeap.TryParse(heap, out LoadHeap.Parsed p))
                    {
                        foreign++;
                        continue;
                    }
                    heaps++;
                    if (p.Intact)
                    {
                        intact++;
                    }
                    inOrder &= p.Sequence > lastSequence; // increasing: a sender may have skipped heaps that failed
                    lastSequence = p.Sequence;
                }
                if (heaps == expected)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The time is up: report what arrived.
        }
        ReceiveStatistics s = stream.Statistics;
        raw.Dispose();
        await ttlProbe;
        Console.WriteLine(FormattableString.Invariant(
            $"RESULT heaps={heaps} intact={intact} inorder={(inOrder ? 1 : 0)} foreign={foreign} packets={s.Packets} malformed={s.MalformedPackets} incomplete={s.IncompleteHeaps} ttl={seenTtl}"));
        return 0;
    }

    private static int Send(Dictionary<string, string> o)
    {
        var group = IPAddress.Parse(Get(o, "group"));
        int port = GetInt(o, "port");
        var iface = IPAddress.Parse(Get(o, "iface"));
        int ttl = GetInt(o, "ttl", "1");
        int count = GetInt(o, "heaps");
        int size = GetInt(o, "size", "8192");
        int small = GetInt(o, "small", size.ToString(CultureInfo.InvariantCulture)); // payload of odd heaps
        int packetSize = GetInt(o, "packet", "1472");
        bool dontFragment = GetInt(o, "df", "0") != 0;
        double rate = double.Parse(Get(o, "rate", "0"), CultureInfo.InvariantCulture);

        var config = new StreamConfig { MaxPacketSize = packetSize, Rate = rate, MaxHeaps = 4 };
        IPEndPoint[] endpoints = [new IPEndPoint(group, port)];
        UdpStream stream;
        if (dontFragment)
        {
            // IP_MTU_DISCOVER = IP_PMTUDISC_DO: datagrams larger than the path MTU fail with EMSGSIZE instead of
            // being fragmented. The stream takes (a duplicate of) this socket as it is.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SetRawSocketOption(0 /* SOL_IP */, 10 /* IP_MTU_DISCOVER */, BitConverter.GetBytes(2 /* IP_PMTUDISC_DO */));
            socket.Bind(new IPEndPoint(iface, 0));
            stream = new UdpStream(socket, endpoints, config);
        }
        else if (IsMulticast(group))
        {
            stream = new UdpStream(endpoints, config, new UdpStreamOptions { Ttl = ttl, InterfaceAddress = iface });
        }
        else
        {
            stream = new UdpStream(endpoints, config, new UdpStreamOptions { InterfaceAddress = iface });
        }
        long bytes = 0;
        int sent = 0, failed = 0, tooLarge = 0;
        var failedSequences = new List<int>();
        using (stream)
        {
            var heap = new Heap();
            int largest = Math.Max(size, small);
            var payload = new byte[largest];
            for (int i = 0; i < count; i++)
            {
                LoadHeap.Build(heap, payload, i % 2 == 0 ? size : small, 1, i);
                try
                {
                    bytes += stream.SendHeap(heap);
                    sent++;
                }
                catch (IOException e)
                {
                    failed++;
                    failedSequences.Add(i);
                    if (e.InnerException is SocketException { SocketErrorCode: SocketError.MessageSize })
                    {
                        tooLarge++;
                    }
                }
            }
        }
        Console.WriteLine(FormattableString.Invariant(
            $"RESULT heaps={count} sent={sent} failed={failed} emsgsize={tooLarge} bytes={bytes} failedodd={failedSequences.Count(x => x % 2 == 1)}"));
        return 0;
    }

    private static bool IsMulticast(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? (address.GetAddressBytes()[0] & 0xF0) == 0xE0 : address.IsIPv6Multicast;
}
