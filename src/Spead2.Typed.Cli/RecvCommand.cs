using System.Collections;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Cli;

/// <summary><c>spead2-typed recv</c>: spead2_recv for .NET.</summary>
internal static class RecvCommand
{
    internal sealed record Options(string Source, bool Tcp, int MaxHeaps, int? Buffer, string? Bind, long Heaps, bool Quiet, int AddrBits, bool PySpead,
        int RingHeaps = ReceiveStreamConfig.DefaultRingHeaps, bool Ring = false);

    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "HOST:PORT to listen on (a multicast group joins it)" };
        var tcp = new Option<bool>("--tcp") { Description = "Receive over TCP (accepts one sender)" };
        var maxHeaps = new Option<int>("--max-heaps") { Description = "Heaps being assembled at once", DefaultValueFactory = _ => ReceiveStreamConfig.DefaultMaxHeaps }.AtLeast(1);
        var ringHeaps = new Option<int>("--ring-heaps") { Description = "Complete heaps waiting for the consumer before the receive thread waits", DefaultValueFactory = _ => ReceiveStreamConfig.DefaultRingHeaps }.AtLeast(1);
        var buffer = CliOptions.OptionalSize("--buffer", "Socket receive buffer size, if not the reader's default", min: 1, max: int.MaxValue);
        var bind = new Option<string?>("--bind") { Description = "Interface address for a multicast join" }.Require(v => IPAddress.TryParse(v, out _), "an IP address");
        var heaps = new Option<long>("--heaps") { Description = "Stop after this many heaps; -1 runs until the stream ends or Ctrl-C/SIGTERM (which print the statistics too)", DefaultValueFactory = _ => -1 }
            .Require(v => v >= -1, ">= -1 (-1 runs until the end of the stream)");
        var quiet = new Option<bool>("--quiet") { Description = "Print only statistics" };
        var addrBits = new Option<int>("--addr-bits") { Description = "Heap address bits expected (informational; packets carry their flavour)", DefaultValueFactory = _ => 40 };
        var pyspead = new Option<bool>("--pyspead") { Description = "PySPEAD 0.5.2 bug compatibility for descriptors" };
        var ring = new Option<bool>("--ring")
        {
            Description = "Take heaps from the stream's ring on a consumer thread (await foreach), like spead2_recv --ring; by default they are " +
                "counted and printed in ReceiveStreamConfig.HeapReady on the receive thread, as spead2_recv does",
        };
        var command = new Command("recv", "Receive heaps and print their items (like spead2_recv)")
        {
            source, tcp, maxHeaps, ringHeaps, buffer, bind, heaps, quiet, addrBits, pyspead, ring,
        };
        command.SetAction((r, ct) => RunAsync(new Options(r.GetValue(source)!, r.GetValue(tcp), r.GetValue(maxHeaps), (int?)r.GetValue(buffer),
            r.GetValue(bind), r.GetValue(heaps), r.GetValue(quiet), r.GetValue(addrBits), r.GetValue(pyspead), r.GetValue(ringHeaps),
            r.GetValue(ring)), Console.Out, null, ct));
        return command;
    }

    /// <summary>Runs the receiver; <paramref name="ready"/> (tests) is completed once the socket listens.</summary>
    public static async Task<int> RunAsync(Options o, TextWriter output, TaskCompletionSource<IPEndPoint>? ready, CancellationToken ct)
    {
        var config = new ReceiveStreamConfig
        {
            MaxHeaps = o.MaxHeaps,
            RingHeaps = o.RingHeaps,
            BugCompat = o.PySpead ? BugCompat.PySpead052 : BugCompat.None,
        };
        var items = new ItemGroup();
        long count = 0;
        ReceiveStream? running = null;
        if (!o.Ring)
        {
            // spead2_recv's default: each heap is handled on the receive thread as it is finished, with no ring and no
            // consumer thread.
            config.HeapReady = heap =>
            {
                if (!Take(heap))
                    running!.Stop();
            };
        }
        // The runtime's background compiler must not take the CPU from the receive thread (see BackgroundJitPriority).
        using var jitPriority = BackgroundJitPriority.KeepLow();
        await using var stream = new ReceiveStream(config);
        running = stream;
        var endpoint = Endpoints.Resolve(o.Source);
        IPEndPoint local;
        if (o.Tcp)
        {
            var reader = o.Buffer is { } b ? stream.AddTcpReader(endpoint, bufferSize: b) : stream.AddTcpReader(endpoint);
            local = reader.LocalEndPoint;
        }
        else if (IsMulticast(endpoint.Address))
        {
            var iface = o.Bind is null ? null : IPAddress.Parse(o.Bind);
            var reader = o.Buffer is { } b
                ? stream.AddUdpMulticastReader(endpoint.Address, endpoint.Port, iface, bufferSize: b)
                : stream.AddUdpMulticastReader(endpoint.Address, endpoint.Port, iface);
            local = reader.LocalEndPoint;
        }
        else
        {
            var reader = o.Buffer is { } b ? stream.AddUdpReader(endpoint, bufferSize: b) : stream.AddUdpReader(endpoint);
            local = reader.LocalEndPoint;
        }
        ready?.TrySetResult(local);
        if (!o.Quiet)
            output.WriteLine($"Listening on {local} ({(o.Tcp ? "TCP" : "UDP")})");

        try
        {
            if (!o.Ring)
            {
                await stream.Completion.WaitAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await foreach (var heap in stream.WithCancellation(ct).ConfigureAwait(false))
                {
                    if (!Take(heap))
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (!o.Ring)
            {
                // Let the callback finish the heaps it has (and stop printing) before the summary.
                stream.Stop();
                await stream.Completion.ConfigureAwait(false);
            }
        }
        PrintSummary(output, stream.Statistics);
        return 0;

        // Counts (and unless --quiet prints) a heap and disposes it; false once --heaps have been taken. Heaps after
        // that (flushed when the stream stops) are not counted.
        bool Take(ReceivedHeap heap)
        {
            using (heap)
            {
                if (o.Heaps >= 0 && count >= o.Heaps)
                    return false;
                count++;
                // As spead2_recv --quiet: only count. Decoding the values of every heap would
                // cost more than receiving it, and nothing would be printed.
                if (!o.Quiet)
                    PrintHeap(output, heap, items.Update(heap));
            }
            return o.Heaps < 0 || count < o.Heaps;
        }
    }

    /// <summary>
    /// The closing statistics: one line of totals (as before, and as scripts read it), then what the
    /// loss counters mean when they are not zero.
    /// </summary>
    internal static void PrintSummary(TextWriter output, ReceiveStatistics s)
    {
        output.WriteLine($"Received {Units.Count(s.Heaps)} heaps ({Units.Count(s.IncompleteHeaps)} incomplete), {Units.Count(s.Packets)} packets, {Units.Count(s.Bytes)} bytes; malformed {Units.Count(s.MalformedPackets)}, rejected {Units.Count(s.RejectedPackets)}");
        if (s.IncompleteHeaps > 0 || s.IncompleteHeapsEvicted > 0 || s.IncompleteHeapsFlushed > 0)
        {
            output.WriteLine($"  incomplete heaps: payload missing, not delivered. Heaps that left their slot early: {Units.Count(s.IncompleteHeapsEvicted)} " +
                $"evicted by a newer heap (their remaining packets were lost or came too late), {Units.Count(s.IncompleteHeapsFlushed)} still open at the end of the stream");
        }
        if (s.RejectedPackets > 0)
        {
            output.WriteLine($"  rejected: well-formed packets refused by heap assembly: {Units.Count(s.RejectedOutOfOrder)} out of order " +
                $"(a packet of the heap before it was lost, so the heap cannot continue in order), {Units.Count(s.RejectedDuplicates)} duplicate, " +
                $"{Units.Count(s.RejectedInconsistent)} inconsistent with their heap, {Units.Count(s.RejectedOverLimits)} over the size or pointer limits, " +
                $"{Units.Count(s.RejectedUnsized)} without HEAP_LENGTH");
        }
        if (s.MalformedPackets > 0)
            output.WriteLine($"  malformed: {Units.Count(s.MalformedPackets)} datagrams or byte runs that are not a valid SPEAD packet, or longer than the maximum packet size");
        if (s.SkippedBytes > 0)
            output.WriteLine($"  skipped: {Units.Count(s.SkippedBytes)} bytes of the TCP stream passed over to find the next packet");
        if (s.KernelDroppedPackets > 0)
        {
            output.WriteLine($"  dropped by the OS: {Units.Count(s.KernelDroppedPackets)} datagrams, or runs of datagrams merged by the sender's GSO, arrived while the socket buffer " +
                "was full and never reached the receiver (raise --buffer and the sysctl net.core.rmem_max, or lighten the consumer)");
        }
    }

    private static bool IsMulticast(IPAddress a) =>
        a.IsIPv6Multicast || (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (a.GetAddressBytes()[0] & 0xF0) == 224);

    private static void PrintHeap(TextWriter output, ReceivedHeap heap, ItemGroupUpdate update)
    {
        output.WriteLine($"Heap {heap.Cnt}{(heap.IsComplete ? "" : " (incomplete)")}{(heap.IsEndOfStream ? " [end of stream]" : "")}{(heap.IsStartOfStream ? " [start of stream]" : "")}");
        foreach (var d in update.Descriptors)
            output.WriteLine($"  descriptor 0x{d.Id:X} {d.Name}: {d.Description}");
        foreach (var item in update.Updated)
            output.WriteLine($"  0x{item.Id:X} {item.Name} ({string.Join(", ", item.Shape)}) = {Format(item.Value)}");
        foreach (var e in update.Errors)
            output.WriteLine($"  0x{e.Id:X}: {e.Message}");
    }

    internal static string Format(object? value, int maxElements = 8)
    {
        switch (value)
        {
            case null:
                return "None";
            case string s:
                return s.Length > 64 ? $"'{s[..64]}...' ({s.Length} chars)" : $"'{s}'";
            case IEnumerable e when value is not string:
                {
                    var sb = new StringBuilder("[");
                    int n = 0;
                    foreach (var x in e)
                    {
                        if (n == maxElements)
                        {
                            sb.Append(", ...");
                            break;
                        }
                        if (n++ > 0)
                            sb.Append(", ");
                        sb.Append(Format(x, maxElements));
                    }
                    if (value is Array a && a.Length > maxElements)
                        sb.Append(CultureInfo.InvariantCulture, $" ({a.Length} elements)");
                    return sb.Append(']').ToString();
                }
            case IFormattable f:
                return f.ToString(null, CultureInfo.InvariantCulture);
            default:
                return value.ToString() ?? "";
        }
    }
}
