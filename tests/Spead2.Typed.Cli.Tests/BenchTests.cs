using System.CommandLine;
using Spead2.Cli.Bench;

namespace Spead2.Cli.Tests;

/// <summary>
/// <c>spead2-typed bench</c>: one parser for every benchmark (sizes with K/M/G, rates in Gb/s, errors in the words
/// typed), the typed options it hands on, and each benchmark run end to end with tiny counts.
/// </summary>
public class BenchTests
{
    private static ParseResult Parse(string args) => Program.BuildRoot().Parse(args.Split(' '));

    private static BenchRequest Bind(string args)
    {
        var result = Parse(args);
        Assert.Empty(result.Errors);
        return BenchCommand.Bind(result);
    }

    /// <summary>Parses and runs <paramref name="args"/> as the program would, with the output captured.</summary>
    private static (int ExitCode, string Output) Invoke(string args)
    {
        var result = Parse(args);
        Assert.Empty(result.Errors);
        var output = new StringWriter();
        result.InvocationConfiguration.Output = output;
        int rc = result.Invoke();
        return (rc, output.ToString());
    }

    [Fact]
    public void Defaults_AreTheThroughputBenchmark()
    {
        Assert.Equal(new ThroughputOptions(1 << 20, 1472, 2000, 3, SendPath.Gso, SinkMode.Read, InlineContinuations: false), Bind("bench"));
    }

    [Fact]
    public void SizesTakeSuffixes_AndChoicesMapToTypes()
    {
        Assert.Equal(new ThroughputOptions(65536, 9216, 20, 1, SendPath.Portable, SinkMode.None, InlineContinuations: true),
            Bind("bench --heap-size 64K --packet 9K --heaps 20 --runs 1 --mode portable --sink none --ours inline"));
        Assert.Equal(SendPath.Mmsg, Assert.IsType<ThroughputOptions>(Bind("bench --mode mmsg")).Path);
        Assert.Equal(1 << 30, Assert.IsType<ThroughputOptions>(Bind("bench --heap-size 1g")).HeapSize);
    }

    [Theory]
    [InlineData("gso", false, true)]
    [InlineData("mmsg", false, false)]
    [InlineData("portable", true, false)]
    public void Mode_ConfiguresTheStreamThroughItsOptions(string mode, bool portable, bool gso)
    {
        var path = Assert.IsType<ThroughputOptions>(Bind($"bench --mode {mode}")).Path;
        var options = SendPaths.Options(path, 1 << 20);
        Assert.Equal((portable, gso, 1 << 20), (options.PortableSend, options.Gso, options.BufferSize));
    }

    [Fact]
    public void Pace_TakesRatesInGbps()
    {
        var o = Assert.IsType<PacingOptions>(Bind("bench --pace 0.5,5,20 --pace-seconds 0.25 --heap-size 256K --packet 8972 --burst-rate-ratio 1.1 --sink none"));
        Assert.Equal([0.5, 5, 20], o.RatesGbps);
        Assert.Equal(0.25, o.Seconds);
        Assert.Equal(262144, o.HeapSize);
        Assert.Equal(8972, o.PacketSize);
        Assert.Equal(1.1, o.BurstRateRatio);
        Assert.Equal(SinkMode.None, o.Sink);
        Assert.Equal(SendPath.Gso, o.Path);
    }

    [Fact]
    public void PoolStreams_TakeCountsAndSizes()
    {
        var o = Assert.IsType<PoolOptions>(Bind("bench --pool-streams 1,2,8 --pool-threads 3 --heap-size 8K --packet 9000 --heaps 50 --runs 2"));
        Assert.Equal([1, 2, 8], o.StreamCounts);
        Assert.Equal((3, 8192, 9000, 50, 2), (o.PoolThreads, o.HeapSize, o.PacketSize, o.HeapsPerStream, o.Runs));
    }

    [Fact]
    public void VsSpead2_DefaultsToFiveRunsUnlessGiven()
    {
        var o = Assert.IsType<VsSpead2Options>(Bind("bench --vs-spead2 --cases 1K/1472x10,2M/8972x5 --max-heaps 8 --ours-args --sync-continuations"));
        Assert.Equal([new VsSpead2.Case(1024, 1472, 10), new VsSpead2.Case(2 << 20, 8972, 5)], o.Cases);
        Assert.Equal(5, o.Runs);
        Assert.Equal(8, o.MaxHeaps);
        Assert.Equal("--sync-continuations", o.OursArgs);
        Assert.Null(o.OursCommand);
        Assert.Equal(2, Assert.IsType<VsSpead2Options>(Bind("bench --vs-spead2 --runs 2")).Runs);
        Assert.Equal(VsSpead2.ParseCases(VsSpead2.DefaultCases), Assert.IsType<VsSpead2Options>(Bind("bench --vs-spead2")).Cases);
    }

    [Theory]
    [InlineData("bench --heap-size 1X", "--heap-size must be a whole number of bytes, optionally with a K, M or G suffix, got '1X'")]
    [InlineData("bench --heap-size 0", "--heap-size must be >= 1 byte, got 0")]
    [InlineData("bench --heap-size 2G", "--heap-size must be <= 2147483647 bytes, got 2G")]
    [InlineData("bench --packet 10", "--packet must be >= 56 bytes, got 10")]
    [InlineData("bench --heaps 0", "--heaps must be >= 1, got 0")]
    [InlineData("bench --runs -1", "--runs must be >= 1, got -1")]
    [InlineData("bench --pace 1,x", "--pace must be comma-separated rates in Gb/s, got '1,x'")]
    [InlineData("bench --pace 5,-1", "--pace rates must be finite and > 0 Gb/s, got -1")]
    [InlineData("bench --pace 0", "--pace rates must be finite and > 0 Gb/s, got 0")]
    [InlineData("bench --pace NaN", "--pace rates must be finite and > 0 Gb/s, got NaN")]
    [InlineData("bench --pace 1 --pace-seconds 0", "--pace-seconds must be > 0 s, got 0")]
    [InlineData("bench --pace 1 --burst-rate-ratio 0.9", "--burst-rate-ratio must be >= 1, got 0.9")]
    [InlineData("bench --pool-streams 0", "--pool-streams: '0' is not a stream count from 1 to 1024.")]
    [InlineData("bench --pool-streams ,", "--pool-streams must be comma-separated stream counts, e.g. 1,2,8, got ','")]
    [InlineData("bench --pool-streams 2 --pool-threads 0", "--pool-threads must be >= 1, got 0")]
    [InlineData("bench --vs-spead2 --cases 1M/1472", "--cases: '1M/1472' is not SIZE/PACKETxHEAPS (for example 1M/1472x8000).")]
    [InlineData("bench --vs-spead2 --cases 1Q/1472x10", "--cases: '1Q' in '1Q/1472x10' is not a size (bytes, optionally with a K, M or G suffix).")]
    [InlineData("bench --vs-spead2 --max-heaps 0", "--max-heaps must be >= 1, got 0")]
    [InlineData("bench --pace 1 --vs-spead2", "--pace, --vs-spead2 and --pool-streams are different benchmarks: give one, got --pace and --vs-spead2")]
    [InlineData("bench --cases 1K/1472x10", "--cases does not apply to the throughput benchmark (no --pace, --vs-spead2 or --pool-streams)")]
    [InlineData("bench --pace 1 --heaps 5", "--heaps does not apply to --pace")]
    [InlineData("bench --pool-streams 2 --ours inline", "--ours does not apply to --pool-streams")]
    [InlineData("bench --vs-spead2 --heap-size 1M", "--heap-size does not apply to --vs-spead2")]
    public void BadValue_IsReportedAsTyped(string args, string message)
    {
        var error = Assert.Single(Parse(args).Errors);
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void UnknownChoice_ListsTheChoices()
    {
        var error = Assert.Single(Parse("bench --mode fast").Errors);
        Assert.Contains("fast", error.Message);
        Assert.Contains("gso", error.Message);
        Assert.Contains("portable", error.Message);
    }

    [Fact]
    public void Help_ExplainsSizesAndRateUnits()
    {
        var (rc, text) = Invoke("bench --help");
        Assert.Equal(0, rc);
        Assert.Contains("Heap size (bytes; a K, M or G suffix multiplies by 1024, 1024^2 or 1024^3)", text);
        Assert.Contains("comma-separated rates in Gb/s", text);
        Assert.Contains("--pool-streams", text);
        Assert.Contains("--vs-spead2", text);
    }

    [Fact]
    public async Task BadValue_ExitsWith2()
    {
        Assert.Equal(2, await Program.Main(["bench", "--pace", "-1"]));
    }

    [Fact]
    public void Throughput_RunsAndPrintsTheMedian()
    {
        var (rc, text) = Invoke("bench --heap-size 64K --heaps 20 --runs 2");
        Assert.Equal(0, rc);
        Assert.Contains("heap 64K, packet 1472 B, 20 heaps/run, 2 runs, mode gso, sink read", text);
        Assert.Contains("path: UdpStream.SendHeapAsync, 8 heaps in flight", text);
        Assert.Equal(2, text.Split('\n').Count(l => l.StartsWith("run ", StringComparison.Ordinal)));
        string median = Assert.Single(text.Split('\n'), l => l.StartsWith("median", StringComparison.Ordinal));
        // 20 heaps of 64 KiB in 1472-byte packets: 46 packets each (the first with 6 item pointers and 1416 bytes of
        // payload, the others with the 4 standard ones and 1432), counted by the bench stream's own (tagged) counters
        // whatever other tests send at the same time.
        long sent = long.Parse(median[(median.LastIndexOf('/') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(20 * 46, sent);
    }

    [Fact]
    public void Throughput_InlineWithoutSink()
    {
        var (rc, text) = Invoke("bench --heap-size 16K --heaps 10 --runs 1 --ours inline --sink none --mode mmsg");
        Assert.Equal(0, rc);
        Assert.Contains("continuations on the writer thread", text);
        Assert.Contains("sendmmsg without GSO", text);
        Assert.Contains("median", text);
    }

    [Fact]
    public void Pace_RunsAndPrintsARowPerRate()
    {
        var (rc, text) = Invoke("bench --pace 0.2,0.4 --pace-seconds 0.3 --heap-size 64K");
        Assert.Equal(0, rc);
        Assert.Contains("pacing: UDP to 127.0.0.1 (sink reads), heap 64K, packet 1472 B, 0.3 s per rate", text);
        Assert.DoesNotContain("nothing to measure", text);
        Assert.Contains("     0.20 Gb/s ", text);
        Assert.Contains("     0.40 Gb/s ", text);
    }

    [Fact]
    public void PoolStreams_RunAndPrintARowPerCount()
    {
        var (rc, text) = Invoke("bench --pool-streams 1,2 --heap-size 16K --heaps 10 --runs 1");
        Assert.Equal(0, rc);
        Assert.Contains("| streams | a thread each: Gb/s | CPU s | one pool of 2 thread(s): Gb/s | CPU s |", text);
        Assert.Contains("\n| 1 | ", text);
        Assert.Contains("\n| 2 | ", text);
    }

    [Fact]
    public void PacingAnalysis_FitsThePacedRate()
    {
        // Batches of 1000 bytes every millisecond, in bursts of 64 batches separated by pauses: 1 MB/s paced; the fit
        // ignores the first burst leaving at once.
        const long frequency = 1_000_000;   // ticks of 1 µs
        var times = new long[640];
        var sizes = new long[640];
        for (int i = 0; i < times.Length; i++)
        {
            // 64 batches back to back (1 µs apart), then a pause: one 64,000-byte burst every 64 ms.
            times[i] = (i / 64) * 64_000 + (i % 64);
            sizes[i] = 1000;
        }
        var r = PacingBench.Analyse(times, sizes, times.Length, bytesPerSecond: 1e6, elapsedSeconds: 0.64, receivedBps: 0, frequency);
        Assert.Equal(10, r.Bursts);
        Assert.Equal(64_000, r.LargestBurst);
        Assert.InRange(r.AchievedBps, 0.95e6, 1.05e6);
        Assert.Equal((640_000 - 1000) / 0.64, r.OverallBps, 6);
    }
}
