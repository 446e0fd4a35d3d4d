using System.Diagnostics;
using System.Globalization;
using System.Net;
using Spead2.Send;

namespace Spead2.Cli.Bench;

/// <summary>
/// <c>spead2-typed bench --pool-streams 1,2,8</c>: the aggregate throughput of N UDP streams that share one
/// <see cref="IOThreadPool"/> against N streams with a thread each, in this process, alternating.
/// </summary>
internal static class PoolBench
{
    /// <summary>Runs each stream count <see cref="PoolOptions.Runs"/> times per arrangement and prints medians.</summary>
    public static async Task<int> RunAsync(PoolOptions options, TextWriter output)
    {
        var (streamCounts, poolThreads, heapSize, packet, heapsPerStream, runs) = options;
        int port;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        output.WriteLine(FormattableString.Invariant(
            $"{CliOptions.FormatSize(heapSize)} heaps, {packet} B packets, {Units.Count(heapsPerStream)} heaps per stream, MaxHeaps 4, to 127.0.0.1:{port} (nobody reads); {runs} runs, medians."));
        output.WriteLine(FormattableString.Invariant($"| streams | a thread each: Gb/s | CPU s | one pool of {poolThreads} thread(s): Gb/s | CPU s |"));
        output.WriteLine("|---|---|---|---|---|");
        byte[] payload = new byte[heapSize];
        foreach (int n in streamCounts)
        {
            var own = new List<(double Gbps, double Cpu)>();
            var shared = new List<(double Gbps, double Cpu)>();
            for (int r = 0; r < runs; r++)
            {
                own.Add(await MeasureAsync(n, null, payload, packet, heapsPerStream, port).ConfigureAwait(false));
                using var pool = new IOThreadPool(poolThreads);
                shared.Add(await MeasureAsync(n, pool, payload, packet, heapsPerStream, port).ConfigureAwait(false));
            }
            output.WriteLine(FormattableString.Invariant(
                $"| {n} | {Median(own, x => x.Gbps):0.00} | {Median(own, x => x.Cpu):0.00} | {Median(shared, x => x.Gbps):0.00} | {Median(shared, x => x.Cpu):0.00} |"));
        }
        return 0;
    }

    private static async Task<(double Gbps, double Cpu)> MeasureAsync(int n, IOThreadPool? pool, byte[] payload, int packet, int heaps, int port)
    {
        var streams = new UdpStream[n];
        for (int i = 0; i < n; i++)
        {
            streams[i] = new UdpStream("127.0.0.1", port, new StreamConfig { MaxPacketSize = packet, ThreadPool = pool });
        }
        try
        {
            Process self = Process.GetCurrentProcess();
            TimeSpan cpuStart = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            long[] bytes = await Task.WhenAll(streams.Select(s => Task.Run(() => SendAsync(s, payload, heaps)))).ConfigureAwait(false);
            double seconds = clock.Elapsed.TotalSeconds;
            self.Refresh();
            double cpu = (self.TotalProcessorTime - cpuStart).TotalSeconds;
            return (bytes.Sum() * 8 / seconds / 1e9, cpu);
        }
        finally
        {
            foreach (UdpStream s in streams)
            {
                await s.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // Four heaps in flight per stream, each refilled once its previous send completed (as the send command does).
    private static async Task<long> SendAsync(UdpStream stream, byte[] payload, int count)
    {
        var heaps = new Heap[4];
        var pending = new ValueTask<long>[4];
        for (int i = 0; i < heaps.Length; i++)
        {
            heaps[i] = new Heap();
            heaps[i].AddItem(0x1000, payload);
        }
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            int slot = i % 4;
            if (i >= 4)
            {
                bytes += await pending[slot].ConfigureAwait(false);
            }
            pending[slot] = stream.SendHeapAsync(heaps[slot]);
        }
        for (int i = Math.Max(0, count - 4); i < count; i++)
        {
            bytes += await pending[i % 4].ConfigureAwait(false);
        }
        return bytes;
    }

    private static double Median<T>(List<T> values, Func<T, double> select)
    {
        double[] v = values.Select(select).Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Parses a comma-separated list of stream counts.</summary>
    public static List<int> ParseCounts(string text)
    {
        var counts = new List<int>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 1024)
            {
                throw new ArgumentException($"--pool-streams: '{item}' is not a stream count from 1 to 1024.", "pool-streams");
            }
            counts.Add(n);
        }
        return counts;
    }
}
