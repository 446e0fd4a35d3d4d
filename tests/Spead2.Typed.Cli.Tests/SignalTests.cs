using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Spead2.Cli.Tests;

/// <summary>
/// Ctrl-C and SIGTERM sent to the CLI as a child process: <c>recv</c> and <c>send</c> stop, print their summary and
/// exit with 0, well inside <see cref="Termination.GracePeriod"/> (whose expiry would exit with 130 or 143).
/// </summary>
public partial class SignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData(CliProcess.SIGINT, false)]
    [InlineData(CliProcess.SIGTERM, false)]
    [InlineData(CliProcess.SIGINT, true)]
    public async Task Recv_StopsAndPrintsStatistics(int signal, bool tcp)
    {
        using var recv = CliProcess.Start(tcp ? ["recv", "--tcp", "127.0.0.1:0"] : ["recv", "127.0.0.1:0"]);
        // "Listening on" is printed after the signal handlers are registered (Program registers them before the
        // command runs), so the signal cannot arrive unhandled.
        await recv.WaitForLineAsync(l => l.StartsWith("Listening on", StringComparison.Ordinal), Timeout);
        var clock = Stopwatch.StartNew();
        recv.Signal(signal);
        int code = await recv.WaitForExitAsync(Timeout);
        Assert.True(code == 0, $"exit code {code}\n{recv.Stdout}\n{recv.Stderr}");
        Assert.True(clock.Elapsed < Termination.GracePeriod, $"took {clock.Elapsed}");
        Assert.Contains("Received 0 heaps (0 incomplete), 0 packets, 0 bytes", recv.Stdout);
        Assert.Contains(signal == CliProcess.SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping", recv.Stderr);
    }

    [Theory]
    [InlineData(CliProcess.SIGINT)]
    [InlineData(CliProcess.SIGTERM)]
    public async Task Send_StopsSendsEndOfStreamAndPrintsSummary(int signal)
    {
        using var recv = CliProcess.Start("recv", "127.0.0.1:0");
        string listening = await recv.WaitForLineAsync(l => l.StartsWith("Listening on", StringComparison.Ordinal), Timeout);
        string port = ListeningPort().Match(listening).Groups[1].Value;
        // Endless, and slow enough (256 KiB heaps at 0.02 Gb/s: about 0.1 s each) that --max-heaps 32 keeps about
        // 3 s of heaps queued when the signal comes: those must be dropped, not waited for.
        using var send = CliProcess.Start("send", $"127.0.0.1:{port}", "--heap-size", "256K", "--rate", "0.02", "--max-heaps", "32");
        // A few heaps at the receiver: the sender is in its loop (its handlers were registered before it started).
        await recv.WaitForLineAsync(l => l.StartsWith("Heap 3", StringComparison.Ordinal), Timeout);
        var clock = Stopwatch.StartNew();
        send.Signal(signal);
        int sendCode = await send.WaitForExitAsync(Timeout);
        Assert.True(sendCode == 0, $"send exit code {sendCode}\n{send.Stdout}\n{send.Stderr}");
        // Queued heaps were cancelled: the heap on the wire takes at most 0.1 s to finish, the queue would take 3 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"send took {clock.Elapsed} to stop");
        Assert.Contains("Stopped by a signal; the end-of-stream heap was sent.", send.Stdout);
        var sent = SentHeaps().Match(send.Stdout);
        Assert.True(sent.Success, send.Stdout);

        // The end-of-stream heap stops the receiver by itself, with every data heap the sender counted as sent.
        int recvCode = await recv.WaitForExitAsync(Timeout);
        Assert.Equal(0, recvCode);
        Assert.Contains($"Received {sent.Groups[1].Value} heaps (0 incomplete)", recv.Stdout);
        Assert.True(long.Parse(sent.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) >= 4, send.Stdout);
        Assert.DoesNotContain("SIGINT", recv.Stderr);
    }

    [Fact]
    public async Task Send_SecondSignalEndsAtOnce()
    {
        using var recv = CliProcess.Start("recv", "127.0.0.1:0");
        string listening = await recv.WaitForLineAsync(l => l.StartsWith("Listening on", StringComparison.Ordinal), Timeout);
        string port = ListeningPort().Match(listening).Groups[1].Value;
        // The 1M burst lets heap 1 (768K) out at once and stops heap 2 a third of the way: at 0.0001 Gb/s its rest
        // would take about 40 s, and a heap that has started is always finished, so the first signal cannot stop it.
        using var send = CliProcess.Start("send", $"127.0.0.1:{port}", "--heap-size", "768K", "--burst", "1M", "--rate", "0.0001");
        await recv.WaitForLineAsync(l => l.StartsWith("Heap 1", StringComparison.Ordinal), Timeout);
        send.Signal(CliProcess.SIGINT);
        await send.WaitForLineAsync(l => l.Contains("SIGINT: stopping", StringComparison.Ordinal), Timeout, stderr: true);
        var clock = Stopwatch.StartNew();
        send.Signal(CliProcess.SIGINT);
        // Ended by the signal itself: the runtime reports 128 + 2, the code a shell shows for Ctrl-C.
        Assert.Equal(130, await send.WaitForExitAsync(Timeout));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.DoesNotContain("Sent", send.Stdout);
        Assert.DoesNotContain("did not stop", send.Stderr);
    }

    [Fact]
    public async Task BadOption_ReportsItInTheUnitsTyped()
    {
        using var send = CliProcess.Start("send", "127.0.0.1:1", "--rate", "-1", "--heap-size", "1M");
        Assert.Equal(2, await send.WaitForExitAsync(Timeout));
        Assert.Contains("--rate must be >= 0 Gb/s, got -1", send.Stderr);
        Assert.DoesNotContain("heap-size", send.Stderr);
        Assert.DoesNotContain("Actual value", send.Stderr);
    }

    [GeneratedRegex(@"Listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPort();

    [GeneratedRegex(@"Sent ([\d,]+) heaps")]
    private static partial Regex SentHeaps();
}
