using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spead2.Cli.Bench;
using Spead2.Send;

namespace Spead2.Cli;

/// <summary>
/// <c>spead2-typed bench</c>: the send path's throughput on loopback (the default), the pacer's accuracy
/// (<c>--pace</c>), streams on a shared pool (<c>--pool-streams</c>) or spead2's sender against ours
/// (<c>--vs-spead2</c>). Every option is parsed and checked here, once; each benchmark gets a typed options record.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var heapSize = CliOptions.Size("--heap-size", "Heap size", 1 << 20, min: 1, max: int.MaxValue);
        var packet = CliOptions.Size("--packet", "Maximum packet size", StreamConfig.DefaultMaxPacketSize, min: StreamConfig.MinPacketSize, max: int.MaxValue);
        var heaps = new Option<int>("--heaps") { Description = "Heaps per measured run (per stream with --pool-streams)", DefaultValueFactory = _ => 2000 }.AtLeast(1);
        var runs = new Option<int>("--runs") { Description = "Measured runs (default 3; 5 with --vs-spead2)", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var mode = new Option<string>("--mode") { Description = "System calls: gso (sendmmsg + UDP GSO), mmsg (sendmmsg only), portable (one SendTo per packet)", DefaultValueFactory = _ => "gso" }
            .AcceptOnlyFromAmong("gso", "mmsg", "portable");
        var sink = new Option<string>("--sink") { Description = "read: a thread reads and discards (like spead2's sink); none: nobody reads", DefaultValueFactory = _ => "read" }
            .AcceptOnlyFromAmong("read", "none");
        var ours = new Option<string>("--ours") { Description = "stream: UdpStream.SendHeapAsync with continuations on the thread pool; inline: the same with AllowSynchronousContinuations", DefaultValueFactory = _ => "stream" }
            .AcceptOnlyFromAmong("stream", "inline");
        var pace = new Option<double[]?>("--pace") { Description = "Pacer accuracy instead: comma-separated rates in Gb/s, e.g. 1,5,20", CustomParser = ParseRates };
        var paceSeconds = new Option<double>("--pace-seconds") { Description = "With --pace: seconds per rate", DefaultValueFactory = _ => 3 }
            .Finite().Require(v => v > 0, "> 0 s");
        var burstRateRatio = new Option<double>("--burst-rate-ratio") { Description = "With --pace: catch-up rate as a ratio of the rate", DefaultValueFactory = _ => StreamConfig.DefaultBurstRateRatio }
            .Finite().AtLeast(1.0);
        var vsSpead2 = new Option<bool>("--vs-spead2") { Description = "Run spead2's spead2_send (from PATH) and our send command alternately as processes and compare rates and CPU seconds" };
        var cases = new Option<IReadOnlyList<VsSpead2.Case>>("--cases")
        {
            Description = "With --vs-spead2: SIZE/PACKETxHEAPS cases, comma-separated",
            DefaultValueFactory = _ => VsSpead2.ParseCases(VsSpead2.DefaultCases),
            CustomParser = ParseCases,
        };
        var maxHeaps = new Option<int>("--max-heaps") { Description = "With --vs-spead2: MaxHeaps of both senders", DefaultValueFactory = _ => StreamConfig.DefaultMaxHeaps }.AtLeast(1);
        var oursCommand = new Option<string?>("--ours-command") { Description = "With --vs-spead2: the command that runs our CLI (default: this program), e.g. to compare an older build" };
        var oursArgs = new Option<string?>("--ours-args") { Description = "With --vs-spead2: extra arguments for our send, e.g. --sync-continuations" };
        var poolStreams = new Option<IReadOnlyList<int>?>("--pool-streams") { Description = "Aggregate throughput of N streams on one IOThreadPool vs a thread each instead, e.g. 1,2,8 (uses --heap-size, --packet, --heaps per stream, --runs)", CustomParser = ParseCounts };
        var poolThreads = new Option<int>("--pool-threads") { Description = "With --pool-streams: threads of the shared pool", DefaultValueFactory = _ => 2 }.AtLeast(1);
        var command = new Command("bench", "Benchmark the sender on 127.0.0.1: throughput of the public send path (default), the pacer (--pace), streams on a shared pool (--pool-streams), or spead2's sender against ours (--vs-spead2)")
        {
            heapSize, packet, heaps, runs, mode, sink, ours, pace, paceSeconds, burstRateRatio, vsSpead2, cases, maxHeaps, oursCommand, oursArgs, poolStreams, poolThreads,
        };

        // Which options each benchmark reads: one given to another benchmark is an error rather than silently ignored.
        Option[] throughputOnly = [ours];
        Option[] paceOnly = [paceSeconds, burstRateRatio];
        Option[] vsOnly = [cases, maxHeaps, oursCommand, oursArgs];
        Option[] poolOnly = [poolThreads];
        command.Validators.Add(result =>
        {
            var modes = new List<string>();
            if (Given(result, pace))
                modes.Add("--pace");
            if (Given(result, vsSpead2))
                modes.Add("--vs-spead2");
            if (Given(result, poolStreams))
                modes.Add("--pool-streams");
            if (modes.Count > 1)
            {
                result.AddError($"--pace, --vs-spead2 and --pool-streams are different benchmarks: give one, got {string.Join(" and ", modes)}");
                return;
            }
            string chosen = modes.Count == 1 ? modes[0] : "the throughput benchmark (no --pace, --vs-spead2 or --pool-streams)";
            Option[] allowed = modes.Count == 0 ? [.. throughputOnly, heapSize, packet, heaps, runs, mode, sink]
                : modes[0] == "--pace" ? [.. paceOnly, heapSize, packet, mode, sink]
                : modes[0] == "--vs-spead2" ? [.. vsOnly, runs]
                : [.. poolOnly, heapSize, packet, heaps, runs];
            foreach (Option option in command.Options)
            {
                if (option != pace && option != vsSpead2 && option != poolStreams && Given(result, option) && Array.IndexOf(allowed, option) < 0)
                    result.AddError($"{option.Name} does not apply to {chosen}");
            }
        });

        command.SetAction(r => Run(Bind(r), r.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>The benchmark and its options from a parsed, error-free <c>bench</c> command line.</summary>
    internal static BenchRequest Bind(ParseResult r)
    {
        // The size parsers bounded --heap-size and --packet to int.
        int heapBytes = (int)r.GetValue<long>("--heap-size");
        int packetBytes = (int)r.GetValue<long>("--packet");
        var path = Enum.Parse<SendPath>(r.GetValue<string>("--mode")!, ignoreCase: true);
        var sinkMode = Enum.Parse<SinkMode>(r.GetValue<string>("--sink")!, ignoreCase: true);
        int heaps = r.GetValue<int>("--heaps");
        int runs = r.GetValue<int>("--runs");
        // Which benchmark: the option given, not its value (an absent list option reads as an empty list).
        if (Given(r.CommandResult, "--pool-streams"))
            return new PoolOptions(r.GetValue<IReadOnlyList<int>>("--pool-streams")!, r.GetValue<int>("--pool-threads"), heapBytes, packetBytes, heaps, runs);
        if (r.GetValue<bool>("--vs-spead2"))
        {
            // Claims need medians of at least 5: that is the default here unless --runs is given.
            int vsRuns = Given(r.CommandResult, "--runs") ? runs : 5;
            return new VsSpead2Options(r.GetValue<IReadOnlyList<VsSpead2.Case>>("--cases")!, vsRuns, r.GetValue<int>("--max-heaps"),
                r.GetValue<string?>("--ours-command"), r.GetValue<string?>("--ours-args"));
        }
        if (Given(r.CommandResult, "--pace"))
            return new PacingOptions(r.GetValue<double[]>("--pace")!, r.GetValue<double>("--pace-seconds"), heapBytes, packetBytes, r.GetValue<double>("--burst-rate-ratio"), path, sinkMode);
        return new ThroughputOptions(heapBytes, packetBytes, heaps, runs, path, sinkMode, InlineContinuations: r.GetValue<string>("--ours") == "inline");
    }

    /// <summary>Runs the benchmark <paramref name="request"/> names and returns the exit code.</summary>
    internal static int Run(BenchRequest request, TextWriter output) => request switch
    {
        ThroughputOptions o => ThroughputBench.Run(o, output),
        PacingOptions o => PacingBench.Run(o, output),
        PoolOptions o => PoolBench.RunAsync(o, output).GetAwaiter().GetResult(),
        VsSpead2Options o => VsSpead2.RunAsync(o, output).GetAwaiter().GetResult(),
        _ => throw new ArgumentOutOfRangeException(nameof(request), request, "Not a benchmark of this command."),
    };

    private static bool Given(CommandResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static bool Given(CommandResult result, string name)
    {
        foreach (var child in result.Children)
        {
            if (child is OptionResult { Implicit: false } option && option.Option.Name == name)
                return true;
        }
        return false;
    }

    /// <summary>Comma-separated rates in Gb/s, each finite and above 0; errors quote the rate as typed.</summary>
    private static double[]? ParseRates(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
            return null;
        string text = result.Tokens[^1].Value;
        var rates = new List<double>();
        foreach (string item in text.Split(','))
        {
            string trimmed = item.Trim();
            if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double gbps))
            {
                result.AddError($"--pace must be comma-separated rates in Gb/s, got '{text}'");
                return null;
            }
            if (!double.IsFinite(gbps) || gbps <= 0)
            {
                result.AddError($"--pace rates must be finite and > 0 Gb/s, got {trimmed}");
                return null;
            }
            rates.Add(gbps);
        }
        return [.. rates];
    }

    private static IReadOnlyList<int>? ParseCounts(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
            return null;
        try
        {
            var counts = PoolBench.ParseCounts(result.Tokens[^1].Value);
            if (counts.Count == 0)
                result.AddError($"--pool-streams must be comma-separated stream counts, e.g. 1,2,8, got '{result.Tokens[^1].Value}'");
            return counts;
        }
        catch (ArgumentException e)
        {
            result.AddError(CliOptions.LibraryMessage(e));
            return null;
        }
    }

    private static IReadOnlyList<VsSpead2.Case> ParseCases(ArgumentResult result)
    {
        try
        {
            return VsSpead2.ParseCases(result.Tokens.Count == 0 ? VsSpead2.DefaultCases : result.Tokens[^1].Value);
        }
        catch (ArgumentException e)
        {
            result.AddError(CliOptions.LibraryMessage(e));
            return [];
        }
    }
}
