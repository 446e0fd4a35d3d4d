using System.CommandLine;
using System.Globalization;
using Spead2.Samples.Bench;
using Spead2.Send;

namespace Spead2.Cli;

/// <summary>
/// <c>spead2-typed bench</c>: sender throughput on loopback against a raw baseline in the same run (the same packets
/// built once and sent with the same system calls), or the pacer's accuracy with <c>--pace</c>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var heapSize = new Option<string>("--heap-size") { Description = "Heap size in bytes (K and M suffixes)", DefaultValueFactory = _ => "1M" };
        var packet = new Option<int>("--packet") { Description = "Maximum packet size in bytes", DefaultValueFactory = _ => 1472 };
        var heaps = new Option<int>("--heaps") { Description = "Heaps per measured run", DefaultValueFactory = _ => 2000 };
        var runs = new Option<int>("--runs") { Description = "Measured runs of each side (alternating)", DefaultValueFactory = _ => 3 };
        var mode = new Option<string>("--mode") { Description = "System calls: gso (sendmmsg + UDP GSO), mmsg (sendmmsg only), portable (one SendTo per packet)", DefaultValueFactory = _ => "gso" };
        var sink = new Option<string>("--sink") { Description = "read: a thread reads and discards (like spead2's sink); none: nobody reads", DefaultValueFactory = _ => "read" };
        var ours = new Option<string>("--ours") { Description = "Our sender: stream (UdpStream, the public API), inline (the same with AllowSynchronousContinuations), zerocopy or copy (internal writers)", DefaultValueFactory = _ => "stream" };
        var batch = new Option<int>("--batch") { Description = "Packets per system call for the raw baseline", DefaultValueFactory = _ => 64 };
        var pace = new Option<string?>("--pace") { Description = "Pacer accuracy instead: comma-separated rates in Gb/s, e.g. 1,5,20" };
        var paceSeconds = new Option<double>("--pace-seconds") { Description = "Seconds per pacing measurement", DefaultValueFactory = _ => 3 };
        var vsSpead2 = new Option<bool>("--vs-spead2") { Description = "Run spead2's spead2_send (from PATH) and our send command alternately as processes and compare rates and CPU seconds" };
        var cases = new Option<string>("--cases") { Description = "With --vs-spead2: SIZE/PACKETxHEAPS cases, comma-separated", DefaultValueFactory = _ => VsSpead2.DefaultCases };
        var maxHeaps = new Option<int>("--max-heaps") { Description = "With --vs-spead2: MaxHeaps of both senders", DefaultValueFactory = _ => StreamConfig.DefaultMaxHeaps };
        var oursCommand = new Option<string?>("--ours-command") { Description = "With --vs-spead2: the command that runs our CLI (default: this program), e.g. to compare an older build" };
        var poolStreams = new Option<string?>("--pool-streams") { Description = "Aggregate throughput of N streams on one IOThreadPool vs a thread each instead, e.g. 1,2,8 (uses --heap-size, --packet, --heaps per stream, --runs)" };
        var poolThreads = new Option<int>("--pool-threads") { Description = "With --pool-streams: threads of the shared pool", DefaultValueFactory = _ => 2 };
        var oursArgs = new Option<string?>("--ours-args") { Description = "With --vs-spead2: extra arguments for our send, e.g. --sync-continuations" };
        var command = new Command("bench", "Benchmark the sender against a raw-socket baseline on 127.0.0.1 (like spead2_bench)")
        {
            heapSize, packet, heaps, runs, mode, sink, ours, batch, pace, paceSeconds, vsSpead2, cases, maxHeaps, oursCommand, oursArgs, poolStreams, poolThreads,
        };
        command.SetAction(r =>
        {
            if (r.GetValue(poolStreams) is { Length: > 0 } counts)
            {
                if (!CliOptions.TryParseSize(r.GetValue(heapSize)!, out long poolHeapSize) || poolHeapSize is < 1 or > int.MaxValue)
                {
                    throw new ArgumentException($"--heap-size must be a size from 1 byte to 2G, got '{r.GetValue(heapSize)}'.", "heap-size");
                }
                return PoolBench.RunAsync(PoolBench.ParseCounts(counts), r.GetValue(poolThreads), (int)poolHeapSize, r.GetValue(packet),
                    r.GetValue(heaps), r.GetValue(runs), Console.Out).GetAwaiter().GetResult();
            }
            if (r.GetValue(vsSpead2))
            {
                // Claims need medians of at least 5: that is the default here unless --runs is given.
                int vsRuns = r.GetResult(runs) is { Implicit: false } ? r.GetValue(runs) : 5;
                return VsSpead2.RunAsync(VsSpead2.ParseCases(r.GetValue(cases)!), vsRuns, r.GetValue(maxHeaps),
                    r.GetValue(oursCommand), r.GetValue(oursArgs), Console.Out).GetAwaiter().GetResult();
            }
            var args = new List<string>
            {
                "--heap-size", r.GetValue(heapSize)!,
                "--packet-size", r.GetValue(packet).ToString(CultureInfo.InvariantCulture),
                "--heaps", r.GetValue(heaps).ToString(CultureInfo.InvariantCulture),
                "--runs", r.GetValue(runs).ToString(CultureInfo.InvariantCulture),
                "--mode", r.GetValue(mode)!,
                "--sink", r.GetValue(sink)!,
                "--ours", r.GetValue(ours)!,
                "--batch", r.GetValue(batch).ToString(CultureInfo.InvariantCulture),
                "--pace-seconds", r.GetValue(paceSeconds).ToString(CultureInfo.InvariantCulture),
            };
            if (r.GetValue(pace) is { Length: > 0 } rates)
                args.AddRange(["--pace", rates]);
            return BenchProgram.Run([.. args]);
        });
        return command;
    }
}
