using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Spead2.Cli.Tests;

/// <summary>
/// spead2-typed running as a child process, so that real signals can be sent to it: its output lines are collected
/// as they come, and the test can wait for one, signal the process, and wait for it to exit.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Lock _lock = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    /// <summary>Starts <c>spead2-typed</c> (the build copied next to the tests) with <paramref name="args"/>.</summary>
    public static CliProcess Start(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "spead2-typed.dll");
        // A shell that starts the test run in the background without job control leaves SIGINT ignored, and children
        // inherit that: the runtime then rightly never reports SIGINT to the CLI. `env --default-signal` (GNU
        // coreutils) restores the default disposition before the CLI starts, so the test does not depend on how it
        // was launched.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--default-signal=INT,TERM");
        info.ArgumentList.Add(DotnetHost());
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        var result = new CliProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._lock)
                    result._stdout.Add(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (result._lock)
                    result._stderr.Add(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>The muxer running these tests (testhost runs under it), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        string? path = Environment.ProcessPath;
        return path is not null && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }

    public string Stdout
    {
        get
        {
            lock (_lock)
                return string.Join('\n', _stdout);
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
                return string.Join('\n', _stderr);
        }
    }

    /// <summary>Waits for a line of standard output (or error) that satisfies <paramref name="match"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, bool stderr = false)
    {
        var lines = stderr ? _stderr : _stdout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (_lock)
            {
                foreach (var line in lines)
                {
                    if (match(line))
                        return line;
                }
            }
            if (_process.HasExited)
                throw new Xunit.Sdk.XunitException($"spead2-typed exited ({_process.ExitCode}) first.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"No matching line within {timeout.TotalSeconds} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            await Task.Delay(20);
        }
    }

    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the exit and for the end of both output streams; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"spead2-typed still running after {timeout.TotalSeconds} s.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
