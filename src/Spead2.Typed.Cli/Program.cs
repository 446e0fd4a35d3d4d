using System.CommandLine;

namespace Spead2.Cli;

/// <summary>spead2-typed: send, receive and benchmark SPEAD streams.</summary>
public static class Program
{
    /// <summary>Entry point; returns 2 for bad options, as spead2's tools do.</summary>
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
        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"spead2-typed: {e.Message}").ConfigureAwait(false);
            return e is ArgumentException or FormatException ? 2 : 1;
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
