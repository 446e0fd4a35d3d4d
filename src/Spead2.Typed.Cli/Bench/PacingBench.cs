using System.Diagnostics;
using System.Globalization;
using Spead2.Send;

namespace Spead2.Cli.Bench;

/// <summary>
/// <c>spead2-typed bench --pace 1,5,20</c>: how well the pacer holds each requested rate. A <see cref="BenchSender"/>
/// with StreamConfig.Rate set sends for a few seconds while <see cref="SendMeter"/> records when each batch was handed
/// to the transport and how many bytes it held. Printed per rate:
/// <list type="bullet">
/// <item><b>achieved</b>: the least-squares slope of "bytes sent before this batch" against the batch's time. The
/// pacer releases each burst once the bytes before it have cost their time, so these points lie on a line whose slope
/// is the paced rate; unlike bytes over elapsed time it is not skewed by the first burst (which leaves at once) or the
/// partial last one.</item>
/// <item><b>overall</b>: all bytes but the first burst over the wall-clock time from the first send to the last
/// completion.</item>
/// <item><b>received</b>: what the sink read, over the same time (with <c>--sink none</c>, nothing).</item>
/// <item><b>largest burst</b>: the most bytes released without a pause of at least a quarter of the nominal interval
/// between bursts (BurstSize / rate). Near BurstSize means the traffic was spread evenly; much larger means the sender
/// fell behind and caught up, or, when achieved is below the request, that the sender itself never had to pause.</item>
/// </list>
/// </summary>
internal static class PacingBench
{
    /// <summary>The figures for one rate, in bytes per second and bytes.</summary>
    internal readonly record struct Result(double AchievedBps, double OverallBps, double ReceivedBps, long LargestBurst, int Bursts, int Batches);

    public static int Run(PacingOptions o, TextWriter output)
    {
        output.WriteLine(FormattableString.Invariant(
            $"pacing: UDP to 127.0.0.1 ({(o.Sink == SinkMode.Read ? "sink reads" : "sink not read")}), heap {CliOptions.FormatSize(o.HeapSize)}, packet {o.PacketSize} B, {o.Seconds} s per rate, BurstSize {StreamConfig.DefaultBurstSize}, BurstRateRatio {o.BurstRateRatio}, mode {o.Path.ToString().ToLowerInvariant()}"));
        output.WriteLine($"{"requested",12} {"achieved",12} {"error",9} {"overall",12} {"received",12} {"largest burst",19} {"bursts",8}");
        foreach (double gbps in o.RatesGbps)
        {
            Result r = Measure(o, gbps);
            if (r.Batches < 3)
            {
                // Without batches there is nothing to fit: say so instead of printing a rate of 0.
                output.WriteLine(FormattableString.Invariant($"{gbps,9:F2} Gb/s: only {r.Batches} batches were seen in {o.Seconds} s; nothing to measure"));
                continue;
            }
            double requested = gbps * 1e9 / 8;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{gbps,9:F2} Gb/s {r.AchievedBps * 8 / 1e9,7:F4} Gb/s {(r.AchievedBps / requested - 1) * 100,8:+0.000;-0.000}% " +
                $"{r.OverallBps * 8 / 1e9,7:F4} Gb/s {r.ReceivedBps * 8 / 1e9,7:F3} Gb/s " +
                $"{r.LargestBurst,10} B ({r.LargestBurst / (double)StreamConfig.DefaultBurstSize,4:F1}x) {r.Bursts,8}"));
        }
        return 0;
    }

    private static Result Measure(PacingOptions o, double gbps)
    {
        double bytesPerSecond = gbps * 1e9 / 8;
        using var sink = new Sink(o.Sink, receiveBufferSize: 16 << 20);
        using var meter = new SendMeter();
        using var sender = new BenchSender(sink.EndPoint, o.HeapSize, o.PacketSize, o.Path, gbps, o.BurstRateRatio, bufferSize: 4 << 20,
            streamName: meter.StreamName);
        // A batch holds at most one burst, and a burst is rarely below a few packets: room for a batch per KiB sent is
        // ample (the recording says if it was not).
        int capacity = (int)Math.Clamp(bytesPerSecond * o.Seconds * 1.2 / 1024, 1024, 1 << 24);
        meter.StartRecording(capacity);
        long sinkBefore = sink.Bytes;
        long start = Stopwatch.GetTimestamp();
        sender.RunAsync(0, TimeSpan.FromSeconds(o.Seconds)).GetAwaiter().GetResult();
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var recording = meter.StopRecording();
        if (sink.Reads)
            Thread.Sleep(300);   // the sink reads what is still queued
        if (recording.Overflowed)
            throw new InvalidOperationException($"More than {capacity} batches at {gbps} Gb/s: the pacing recording overflowed.");
        return Analyse(recording.Times, recording.Sizes, recording.Count, bytesPerSecond, elapsed, (sink.Bytes - sinkBefore) / elapsed,
            Stopwatch.Frequency);
    }

    /// <summary>The figures from batch <paramref name="times"/> (in ticks of <paramref name="frequency"/> per second) and sizes.</summary>
    internal static Result Analyse(long[] times, long[] sizes, int batches, double bytesPerSecond, double elapsedSeconds, double receivedBps,
        long frequency)
    {
        long total = 0;
        for (int i = 0; i < batches; i++)
            total += sizes[i];
        // The first burst leaves at once, so it is not part of the paced time.
        long firstBurst = batches > 0 ? sizes[0] : 0;
        double overall = (total - firstBurst) / elapsedSeconds;

        // Bursts: runs of batches separated by less than a quarter of the nominal interval between bursts.
        double interval = StreamConfig.DefaultBurstSize / bytesPerSecond * frequency;
        long largest = 0, current = 0;
        int bursts = batches > 0 ? 1 : 0;
        for (int i = 0; i < batches; i++)
        {
            if (i > 0 && times[i] - times[i - 1] >= interval / 4)
            {
                largest = Math.Max(largest, current);
                current = 0;
                bursts++;
            }
            current += sizes[i];
        }
        largest = Math.Max(largest, current);

        // Achieved: slope of (time of batch i, bytes before batch i).
        double sx = 0, sy = 0, sxx = 0, sxy = 0, cumulative = 0;
        for (int i = 0; i < batches; i++)
        {
            double x = (times[i] - times[0]) / (double)frequency;
            sx += x;
            sy += cumulative;
            sxx += x * x;
            sxy += x * cumulative;
            cumulative += sizes[i];
        }
        double denominator = batches * sxx - sx * sx;
        double achieved = batches > 2 && denominator > 0 ? (batches * sxy - sx * sy) / denominator : overall;
        return new Result(achieved, overall, receivedBps, largest, bursts, batches);
    }
}
