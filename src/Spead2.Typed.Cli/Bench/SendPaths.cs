using System.Net;
using Spead2.Send;

namespace Spead2.Cli.Bench;

/// <summary>Opens a UDP stream that uses the system calls <c>--mode</c> asked for, through <see cref="UdpStreamOptions"/>.</summary>
internal static class SendPaths
{
    public static UdpStream Open(IPEndPoint sink, StreamConfig config, int bufferSize, SendPath path) =>
        new([sink], config, Options(path, bufferSize));

    /// <summary>The stream options for <paramref name="path"/>: the library's switches, not the environment.</summary>
    public static UdpStreamOptions Options(SendPath path, int bufferSize) => new()
    {
        BufferSize = bufferSize,
        PortableSend = path == SendPath.Portable,
        Gso = path == SendPath.Gso,
    };

    /// <summary>The path in words, and the environment variables that override the options if the user set them.</summary>
    public static string Describe(SendPath path)
    {
        string text = path switch
        {
            SendPath.Gso => "sendmmsg + UDP GSO where available",
            SendPath.Mmsg => "sendmmsg without GSO",
            _ => "one SendTo per packet",
        };
        // The library lets these process-wide switches win over the stream's options; the report says so rather
        // than claiming a path that is not in use.
        foreach (string variable in (ReadOnlySpan<string>)["SPEAD2_PORTABLE_SEND", "SPEAD2_DISABLE_GSO"])
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
                text += $" ({variable}={value} is set and overrides --mode)";
        }
        return text;
    }
}
