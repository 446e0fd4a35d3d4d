using System.Diagnostics;
using System.Globalization;

namespace Spead2.Samples.Bench;

/// <summary>
/// Pacer accuracy: a UdpStream with StreamConfig.Rate set sends for a few seconds; the achieved rate is
/// bytes handed to the transport over the elapsed time (the rate limiter counts the same bytes). The sink
/// records arrival times (the kernel's receive timestamps on Linux), from which the largest burst is
/// taken: the most bytes that arrived in any 1 ms window, as a rate, to compare with the requested one.
/// A sink that cannot keep up (the "got" column) undercounts bursts, so those figures are meaningful
/// only at modest rates.
/// </summary>
internal static class Pacing
{
    public static int Run(BenchOptions o)
    {
        Console.WriteLine($"pacing: heap {o.HeapSize} B, packet {o.PacketSize} B, {o.PaceSeconds} s per rate");
        Console.WriteLine(" request Gb/s  achieved Gb/s  error %  max 1 ms window Gb/s  datagrams got/sent");
        using var sink = new Sink(SinkMode.Read);
        foreach (double gbps in o.PaceGbps)
        {
            using var runner = new StreamRunner(o, sink.EndPoint, gbps * 1e9 / 8);
            runner.RunAsync(0, TimeSpan.FromSeconds(0.3)).GetAwaiter().GetResult();   // warm up
            long sinkBefore = sink.Packets;
            sink.StartRecording(20_000_000);
            long start = Stopwatch.GetTimestamp();
            var counts = runner.RunAsync(0, TimeSpan.FromSeconds(o.PaceSeconds)).GetAwaiter().GetResult();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var record = sink.StopRecording();
            double achieved = counts.Bytes * 8 / seconds / 1e9;
            double burst = MaxWindowBits(record, 1_000_000) * 1000 / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{gbps,12:F2}  {achieved,13:F3}  {(achieved - gbps) / gbps * 100,7:F2}  {burst,21:F2}  {sink.Packets - sinkBefore}/{counts.Packets}"));
        }
        return 0;
    }

    private static double MaxWindowBits(Sink.Recording r, long window)
    {
        long best = 0;
        long sum = 0;
        int first = 0;
        for (int i = 0; i < r.Count; i++)
        {
            sum += r.Sizes[i];
            while (r.Times[i] - r.Times[first] > window)
                sum -= r.Sizes[first++];
            best = Math.Max(best, sum);
        }
        return best * 8.0;
    }
}

/// <summary>recvmsg with kernel receive timestamps, for the sink.</summary>
internal static unsafe partial class SinkInterop
{
    public const int SolSocket = 1;        // SOL_SOCKET
    public const int SoTimestampNs = 35;   // SO_TIMESTAMPNS == SCM_TIMESTAMPNS

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, Spead2.Send.Native.LinuxSocketInterop.MsgHdr* message, int flags);
}
