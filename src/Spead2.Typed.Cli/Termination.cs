using System.Runtime.InteropServices;

namespace Spead2.Cli;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into cancellation of the running command, so that <c>send</c> and <c>recv</c>
/// stop, print their summary and exit normally, as spead2_recv does on SIGINT.
/// </summary>
/// <remarks>
/// System.CommandLine's own handler (<c>InvocationConfiguration.ProcessTerminationTimeout</c>) registers only after the
/// action has started, so a signal that arrives while a command is setting up (a receiver that has just printed
/// "Listening on") would still kill the process; this registration is made before the command runs. A second signal
/// is not intercepted, so it ends the process at once, and a command that has not stopped within
/// <see cref="GracePeriod"/> is ended with the shell's code for the signal (128 + its number).
/// </remarks>
internal sealed class Termination : IDisposable
{
    /// <summary>How long a command may take to stop after the first signal.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly TextWriter _error;
    // Set when the command has returned, so that the watchdog of a command that did stop in time does nothing (it
    // matters when Program.Main runs inside a longer-lived process, as in the tests). Never disposed: the watchdog
    // may still be waiting on it.
    private readonly ManualResetEventSlim _finished = new();
    private int _signals;
    private int _exitCode;

    public Termination(TextWriter error)
    {
        _error = error;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>128 + the signal number once a signal has arrived (130 for SIGINT, 143 for SIGTERM), else 0.</summary>
    public int SignalExitCode => Volatile.Read(ref _exitCode);

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            // Leaving Cancel false lets the runtime apply the signal's default action: the process ends now.
            return;
        }
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
        int code = context.Signal == PosixSignal.SIGINT ? 130 : 143;
        Volatile.Write(ref _exitCode, code);
        _error.WriteLine($"spead2-typed: {name}: stopping (send it again to exit at once)");
        _source.Cancel();
        // A command that does not honour the token in time must not leave the process hanging on a signal the
        // user expects to end it; Environment.Exit keeps the conventional exit code.
        var watchdog = new Thread(() =>
        {
            if (_finished.Wait(GracePeriod))
                return;
            _error.WriteLine($"spead2-typed: did not stop within {GracePeriod.TotalSeconds:0} s of {name}; exiting");
            Environment.Exit(code);
        })
        { IsBackground = true, Name = "spead2-typed termination watchdog" };
        watchdog.Start();
    }

    /// <summary>Stops intercepting signals; the token stays usable (its source needs no disposal: no timer).</summary>
    public void Dispose()
    {
        _finished.Set();
        _sigint.Dispose();
        _sigterm.Dispose();
    }
}
