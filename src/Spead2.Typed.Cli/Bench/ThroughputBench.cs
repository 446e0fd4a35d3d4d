using System.Diagnostics;
using System.Globalization;

namespace Spead2.Cli.Bench;

/// <summary>
/// <c>spead2-typed bench</c> without a mode option: how fast the public send path (<see cref="BenchSender"/>) puts
/// heaps on loopback, with the CPU it takes and the bytes it allocates per heap. The kernel's own limit for the same
/// system calls is measured by <c>UdpSendBenchmarks</c> in tests/Spead2.Typed.Benchmarks (packets built once, sent
/// through the batch sender); spead2 itself by <c>bench --vs-spead2</c>.
/// </summary>
internal static class ThroughputBench
{
    /// <summary>What one measured run gave.</summary>
    internal readonly record struct RunResult(double Gbps, double Mpps, double CpuSeconds, double WallSeconds, double AllocatedPerHeap,
        long SinkPackets, long SentPackets)
    {
        /// <summary>Gigabits sent per CPU second of the process: less sensitive to other load on the machine than Gb/s.</summary>
        public double GbPerCpuSecond => CpuSeconds > 0 ? Gbps * WallSeconds / CpuSeconds : double.NaN;

        public string Format(string name, bool sinkReads) => string.Create(CultureInfo.InvariantCulture,
            $"{name,-6} {Gbps,7:F2} {Mpps,8:F3} {CpuSeconds,7:F2} {WallSeconds,7:F2} {GbPerCpuSecond,9:F2} {AllocatedPerHeap,13:F1}  {(sinkReads ? SinkPackets.ToString(CultureInfo.InvariantCulture) : "-")}/{SentPackets}");
    }

    public static int Run(ThroughputOptions o, TextWriter output)
    {
        output.WriteLine(FormattableString.Invariant(
            $"heap {CliOptions.FormatSize(o.HeapSize)}, packet {o.PacketSize} B, {Units.Count(o.Heaps)} heaps/run, {o.Runs} runs, mode {o.Path.ToString().ToLowerInvariant()}, sink {o.Sink.ToString().ToLowerInvariant()}"));
        using var sink = new Sink(o.Sink, receiveBufferSize: 4 << 20);
        using var meter = new SendMeter();
        using var sender = new BenchSender(sink.EndPoint, o.HeapSize, o.PacketSize, o.Path, inlineContinuations: o.InlineContinuations,
            streamName: meter.StreamName);
        output.WriteLine($"path: {sender.Description}");

        // Tiered JIT needs a while to reach its final code on a busy machine, hence a warm-up of at least 400 heaps.
        sender.RunAsync(Math.Max(o.Heaps, 400), TimeSpan.Zero).GetAwaiter().GetResult();
        var results = new List<RunResult>();
        for (int run = 0; run < o.Runs; run++)
            results.Add(Measure(sender, meter, sink, o.Heaps));

        output.WriteLine();
        output.WriteLine("          Gb/s   Mpkt/s   CPU s  wall s  Gb/CPU-s  alloc B/heap  sink got/sent");
        foreach (var r in results)
            output.WriteLine(r.Format("run", sink.Reads));
        results.Sort((a, b) => a.Gbps.CompareTo(b.Gbps));
        var median = results[results.Count / 2];
        output.WriteLine(median.Format("median", sink.Reads));
        return 0;
    }

    private static RunResult Measure(BenchSender sender, SendMeter meter, Sink sink, int heaps)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        long sinkBefore = sink.Packets;
        long packetsBefore = meter.Packets;
        var cpuBefore = process.TotalProcessorTime;
        // Whole process: the stream's writer thread does the sending.
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        var (_, bytes) = sender.RunAsync(heaps, TimeSpan.Zero).GetAwaiter().GetResult();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        long packets = meter.Packets - packetsBefore;
        // Let the sink read what is still queued before it is counted.
        if (sink.Reads)
            Thread.Sleep(50);
        return new RunResult(bytes * 8 / seconds / 1e9, packets / seconds / 1e6, cpu, seconds, (double)allocated / heaps,
            sink.Packets - sinkBefore, packets);
    }
}
