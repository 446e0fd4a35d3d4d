using System.Net;

namespace Spead2.Send;

/// <summary>
/// Socket and transport settings of a <see cref="UdpStream"/> beyond its endpoints and <see cref="StreamConfig"/>:
/// what spead2 spreads over several constructors (buffer size, multicast TTL, interface), plus the switches of the
/// batched Linux path.
/// </summary>
/// <example>
/// <code>
/// var options = new UdpStreamOptions { Ttl = 4, InterfaceAddress = IPAddress.Parse("10.0.0.2") };
/// using var stream = new UdpStream([new IPEndPoint(IPAddress.Parse("239.1.2.3"), 8888)], config, options);
/// </code>
/// </example>
public sealed class UdpStreamOptions
{
    /// <summary>Socket send buffer in bytes (0 = OS default); a warning is logged if the OS grants less.</summary>
    /// <remarks>Default <see cref="UdpStream.DefaultBufferSize"/>, spead2's 512 KiB.</remarks>
    public int BufferSize { get; init; } = UdpStream.DefaultBufferSize;

    /// <summary>
    /// Multicast TTL (IPv4) or hop limit (IPv6), 0 to 255; null (the default) leaves the OS default. When set, every
    /// endpoint must be a multicast address.
    /// </summary>
    public int? Ttl { get; init; }

    /// <summary>
    /// The local interface, by address. With <see cref="Ttl"/> (IPv4 multicast) the interface multicast is sent on;
    /// otherwise the source address the socket binds to (which chooses the interface). Null by default.
    /// </summary>
    public IPAddress? InterfaceAddress { get; init; }

    /// <summary>
    /// The interface IPv6 multicast is sent on, by index (0 lets the OS choose); requires <see cref="Ttl"/> and IPv6
    /// multicast endpoints. Null by default.
    /// </summary>
    public int? InterfaceIndex { get; init; }

    /// <summary>
    /// Send one datagram per <see cref="System.Net.Sockets.Socket.SendTo(ReadOnlySpan{byte}, System.Net.EndPoint)"/>
    /// call even where the batched path (<c>sendmmsg</c>, 64-bit Linux) is available. Off by default. The environment
    /// variable <c>SPEAD2_PORTABLE_SEND=1</c> forces it for every stream of the process whatever this says.
    /// </summary>
    public bool PortableSend { get; init; }

    /// <summary>
    /// Let the batched path merge runs of equal-size datagrams with UDP generic segmentation offload where the kernel
    /// offers it. On by default; the bytes on the wire are the same either way. The environment variable
    /// <c>SPEAD2_DISABLE_GSO=1</c> turns it off for every stream of the process whatever this says.
    /// </summary>
    public bool Gso { get; init; } = true;
}
