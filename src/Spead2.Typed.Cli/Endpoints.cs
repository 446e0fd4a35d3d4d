using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Spead2.Cli;

/// <summary>Parses HOST:PORT arguments ([v6]:port for IPv6 literals).</summary>
internal static class Endpoints
{
    public static (string Host, int Port) Split(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new FormatException($"'{text}' is not HOST:PORT.");
        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
            throw new FormatException($"'{text}': the port must be a number from 0 to 65535.");
        return (host, port);
    }

    public static bool IsMulticast(IPAddress a) =>
        a.IsIPv6Multicast || (a.AddressFamily == AddressFamily.InterNetwork && (a.GetAddressBytes()[0] & 0xF0) == 224);

    public static IPEndPoint Resolve(string text)
    {
        var (host, port) = Split(text);
        if (host.Length == 0 || host == "*")
            return new IPEndPoint(IPAddress.Any, port);
        if (IPAddress.TryParse(host, out var address))
            return new IPEndPoint(address, port);
        var addresses = Dns.GetHostAddresses(host);
        var chosen = Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new FormatException($"'{host}' does not resolve to an address.");
        return new IPEndPoint(chosen, port);
    }
}
