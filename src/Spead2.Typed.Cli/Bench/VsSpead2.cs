using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Spead2.Cli.Bench;

/// <summary>
/// <c>spead2-typed bench --vs-spead2</c>: spead2's own <c>spead2_send</c> and our <c>send</c> command, run as
/// separate processes one after the other (A B A B …) with the same heap size, packet size, heap count and
/// MaxHeaps, sending to a loopback port nobody reads; per case the median rate of each, the median CPU seconds of
/// each whole process, and the ratios.
/// </summary>
internal static partial class VsSpead2
{
    /// <summary>One benchmark case: heap size, packet size, heap count.</summary>
    internal readonly record struct Case(long HeapSize, int Packet, long Heaps)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{CliOptions.FormatSize(HeapSize)} heaps / {Packet} B packets × {Units.Count(Heaps)}");
    }

    /// <summary>What one run of one sender measured.</summary>
    internal readonly record struct Run(double Seconds, long Bytes, double CpuSeconds, double WallSeconds);

    /// <summary>The cases of the issue: 1 MiB heaps at 1472 and 8972 bytes; single-packet heaps of 1 KiB and 8 KiB.</summary>
    public const string DefaultCases = "1M/1472x8000,1M/8972x16000,1K/1472x400000,8K/9000x200000";

    /// <summary>Parses <c>SIZE/PACKET xHEAPS</c> items separated by commas, e.g. <c>1M/1472x8000</c>.</summary>
    public static List<Case> ParseCases(string text)
    {
        var cases = new List<Case>();
        foreach (string item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            Match m = CaseRegex().Match(item);
            if (!m.Success)
            {
                throw new ArgumentException($"--cases: '{item}' is not SIZE/PACKETxHEAPS (for example 1M/1472x8000).", "cases");
            }
            if (!CliOptions.TryParseSize(m.Groups[1].Value, out long heapSize))
            {
                throw new ArgumentException($"--cases: '{m.Groups[1].Value}' in '{item}' is not a size (bytes, optionally with a K, M or G suffix).", "cases");
            }
            int packet = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            long heaps = long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            if (heapSize < 1 || packet < 64 || heaps < 1)
            {
                throw new ArgumentException($"--cases: '{item}' needs a heap size of at least 1 byte, packets of at least 64 bytes and at least one heap.", "cases");
            }
            cases.Add(new Case(heapSize, packet, heaps));
        }
        if (cases.Count == 0)
        {
            throw new ArgumentException("--cases is empty.", "cases");
        }
        return cases;
    }

    /// <summary>Runs every case <see cref="VsSpead2Options.Runs"/> times per sender, alternating, and prints the table.</summary>
    /// <param name="options">The cases, runs, MaxHeaps and our sender's command.</param>
    /// <param name="output">Where the report goes.</param>
    /// <param name="lookForSpead2">False to run ours alone even when spead2_send is on PATH (tests).</param>
    public static async Task<int> RunAsync(VsSpead2Options options, TextWriter output, bool lookForSpead2 = true)
    {
        var (cases, runs, maxHeaps, oursCommand, oursExtra) = options;
        string? spead2 = lookForSpead2 ? FindOnPath("spead2_send") : null;
        string[] ours = oursCommand is { Length: > 0 } ? Split(oursCommand) : OwnCommand();
        string[] extra = oursExtra is { Length: > 0 } ? Split(oursExtra) : [];
        int port = FreeUdpPort();
        output.WriteLine(spead2 is null
            ? "spead2_send is not on PATH: running ours alone (build spead2 and put its tools on PATH to compare)."
            : $"spead2: {spead2}");
        output.WriteLine($"ours:   {string.Join(' ', ours)} send ... {string.Join(' ', extra)}");
        output.WriteLine($"127.0.0.1:{port} (nobody reads), MaxHeaps {maxHeaps}, {runs} runs of each, alternating; medians. " +
            "Rates are the senders' own (first to last heap); CPU is the whole process (user + system).");
        output.WriteLine();
        output.WriteLine(spead2 is null
            ? "| case | ours Gb/s | ours heaps/s | ours CPU s |"
            : "| case | spead2 Gb/s | ours Gb/s | ratio | spead2 heaps/s | ours heaps/s | spead2 CPU s | ours CPU s | CPU ratio |");
        output.WriteLine(spead2 is null ? "|---|---|---|---|" : "|---|---|---|---|---|---|---|---|---|");
        foreach (Case c in cases)
        {
            string[] common = ["--heap-size", c.HeapSize.ToString(CultureInfo.InvariantCulture), "--packet", c.Packet.ToString(CultureInfo.InvariantCulture),
                "--heaps", c.Heaps.ToString(CultureInfo.InvariantCulture), "--max-heaps", maxHeaps.ToString(CultureInfo.InvariantCulture),
                $"127.0.0.1:{port}"];
            var theirs = new List<Run>();
            var mine = new List<Run>();
            for (int r = 0; r < runs; r++)
            {
                if (spead2 is not null)
                {
                    theirs.Add(await RunOnceAsync([spead2, .. common]).ConfigureAwait(false));
                }
                mine.Add(await RunOnceAsync([.. ours, "send", .. common, .. extra]).ConfigureAwait(false));
            }
            double oursGbps = Median(mine, x => x.Bytes * 8 / x.Seconds / 1e9);
            double oursHeaps = Median(mine, x => c.Heaps / x.Seconds);
            double oursCpu = Median(mine, x => x.CpuSeconds);
            if (spead2 is null)
            {
                output.WriteLine(FormattableString.Invariant($"| {c} | {oursGbps:0.00} | {oursHeaps:N0} | {oursCpu:0.00} |"));
                continue;
            }
            double theirGbps = Median(theirs, x => x.Bytes * 8 / x.Seconds / 1e9);
            double theirHeaps = Median(theirs, x => c.Heaps / x.Seconds);
            double theirCpu = Median(theirs, x => x.CpuSeconds);
            // Ratios pair by pair (run i of ours against run i of spead2), so slow drifts of the machine cancel.
            double rateRatio = MedianOfPairs(mine, theirs, (o, t) => t.Seconds / o.Seconds);
            double cpuRatio = MedianOfPairs(mine, theirs, (o, t) => o.CpuSeconds / t.CpuSeconds);
            output.WriteLine(FormattableString.Invariant(
                $"| {c} | {theirGbps:0.00} | {oursGbps:0.00} | {rateRatio:0.00} | {theirHeaps:N0} | {oursHeaps:N0} | {theirCpu:0.00} | {oursCpu:0.00} | {cpuRatio:0.00} |"));
        }
        return 0;
    }

    private static async Task<Run> RunOnceAsync(string[] command)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in command.AsSpan(1))
        {
            info.ArgumentList.Add(a);
        }
        double cpuBefore = ChildrenCpuSeconds();
        var wall = Stopwatch.StartNew();
        using Process process = Process.Start(info) ?? throw new IOException($"Could not start {command[0]}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        double wallSeconds = wall.Elapsed.TotalSeconds;
        double cpu = ChildrenCpuSeconds() - cpuBefore;
        string text = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
        Match m = SummaryRegex().Match(text);
        if (process.ExitCode != 0 || !m.Success)
        {
            throw new IOException($"{string.Join(' ', command)} exited with {process.ExitCode}: {text.Trim()}");
        }
        long bytes = long.Parse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        double seconds = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        return new Run(seconds, bytes, cpu, wallSeconds);
    }

    private static double Median(List<Run> runs, Func<Run, double> value)
    {
        var values = new double[runs.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = value(runs[i]);
        }
        return MedianOf(values);
    }

    private static double MedianOfPairs(List<Run> ours, List<Run> theirs, Func<Run, Run, double> ratio)
    {
        var values = new double[ours.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ratio(ours[i], theirs[i]);
        }
        return MedianOf(values);
    }

    private static double MedianOf(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>This program, as a command: the apphost, or <c>dotnet</c> with our assembly.</summary>
    private static string[] OwnCommand()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [host, typeof(VsSpead2).Assembly.Location]
            : [host];
    }

    private static string[] Split(string command) => command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static int FreeUdpPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>CPU seconds (user + system) of every child this process has waited for (getrusage RUSAGE_CHILDREN).</summary>
    private static unsafe double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }
        // struct rusage starts with two struct timeval { long tv_sec; long tv_usec; }; 144 bytes on 64-bit Linux.
        long* usage = stackalloc long[18];
        if (GetRusage(-1 /* RUSAGE_CHILDREN */, usage) != 0)
        {
            return double.NaN;
        }
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, long* usage);

    [GeneratedRegex(@"^\s*(\w+)/(\d+)x(\d+)\s*$")]
    private static partial Regex CaseRegex();

    // spead2_send: "Sent 107790656 bytes in 0.136002 seconds, 6.3 Gb/s"; ours: "Sent 100 heaps, 107,790,656 bytes in 0.136 s: ...".
    [GeneratedRegex(@"([\d,]+) bytes in ([\d.eE+-]+) s")]
    private static partial Regex SummaryRegex();
}
