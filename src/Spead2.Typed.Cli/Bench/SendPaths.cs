using System.Net;
using Spead2.Send;

namespace Spead2.Cli.Bench;

/// <summary>Opens a UDP stream that uses the system calls <c>--mode</c> asked for.</summary>
internal static class SendPaths
{
    public static UdpStream Open(IPEndPoint sink, StreamConfig config, int bufferSize, SendPath path)
    {
        // Until the library takes the choice as an option, the stream reads it from the environment when its
        // transport is made; only these two variables, and only for the modes that ask for them.
        if (path == SendPath.Portable)
            Environment.SetEnvironmentVariable("SPEAD2_PORTABLE_SEND", "1");
        else if (path == SendPath.Mmsg)
            Environment.SetEnvironmentVariable("SPEAD2_DISABLE_GSO", "1");
        return new UdpStream([sink], config, bufferSize);
    }

    public static string Describe(SendPath path) => path switch
    {
        SendPath.Gso => "sendmmsg + UDP GSO where available",
        SendPath.Mmsg => "sendmmsg without GSO",
        _ => "one SendTo per packet",
    };
}
