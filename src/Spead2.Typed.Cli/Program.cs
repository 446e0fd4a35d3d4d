using System.CommandLine;
using System.CommandLine.Invocation;

namespace Spead2.Cli;

/// <summary>spead2-typed: send, receive and benchmark SPEAD streams.</summary>
public static class Program
{
    /// <summary>
    /// Entry point; returns 2 for bad options, as spead2's tools do. A command stopped by Ctrl-C or SIGTERM prints its
    /// summary and returns 0, as spead2_recv does after SIGINT.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run 'spead2-typed --help' for usage.").ConfigureAwait(false);
            return 2;
        }
        // Only commands that take a CancellationToken (the asynchronous ones: send, recv) get the signals; for the
        // others (help, bench) Ctrl-C keeps its default meaning and ends the process at once.
        using var termination = result.Action is AsynchronousCommandLineAction ? new Termination(Console.Error) : null;
        try
        {
            // ProcessTerminationTimeout stays null: Termination handles the signals (see why there).
            var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
            return await result.InvokeAsync(configuration, termination?.Token ?? CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (termination is { Token.IsCancellationRequested: true })
        {
            // Stopped before the command had anything to summarise (e.g. while a TCP connection was being made).
            return termination.SignalExitCode;
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"spead2-typed: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (ArgumentException e)
        {
            // A limit the options did not check first: the library's words, without its parameter names.
            await Console.Error.WriteLineAsync($"spead2-typed: {CliOptions.LibraryMessage(e)}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is FormatException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"spead2-typed: {e.Message}").ConfigureAwait(false);
            return e is FormatException ? 2 : 1;
        }
    }

    internal static RootCommand BuildRoot() =>
        new("spead2-typed: send, receive and benchmark SPEAD streams, compatible with spead2")
        {
            SendCommand.Create(),
            RecvCommand.Create(),
            BenchCommand.Create(),
        };
}
