using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Spead2.Send.Engine;

namespace Spead2.Send.Transports;

/// <summary>Socket set-up shared by the UDP and TCP streams.</summary>
internal static partial class SocketHelpers
{
    /// <summary>
    /// Sets SO_SNDBUF (0 leaves the OS default) and warns when the OS grants less than asked. Linux reports twice
    /// the value it accepted, so a smaller read-back really means the request was clipped (net.core.wmem_max).
    /// </summary>
    public static void SetSendBufferSize(Socket socket, int bufferSize, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize);
        if (bufferSize == 0)
        {
            return;
        }
        try
        {
            socket.SendBufferSize = bufferSize;
            int actual = socket.SendBufferSize;
            if (actual < bufferSize)
            {
                SendLog.BufferSizeClipped(logger, bufferSize, actual);
            }
        }
        catch (SocketException e)
        {
            SendLog.BufferSizeFailed(logger, bufferSize, e);
        }
    }

    /// <summary>Resolves a host name or address literal, preferring <paramref name="family"/> when given.</summary>
    public static IPAddress Resolve(string host, AddressFamily? family, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(host, paramName);
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return literal;
        }
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new IOException($"Could not resolve host '{host}': {e.Message}", e);
        }
        return Pick(addresses, host, family);
    }

    /// <summary>Resolves a host name or address literal asynchronously.</summary>
    public static async Task<IPAddress> ResolveAsync(string host, AddressFamily? family, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return literal;
        }
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"Could not resolve host '{host}': {e.Message}", e);
        }
        return Pick(addresses, host, family);
    }

    private static IPAddress Pick(IPAddress[] addresses, string host, AddressFamily? family)
    {
        foreach (IPAddress a in addresses)
        {
            if (family is null ? a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 : a.AddressFamily == family)
            {
                return a;
            }
        }
        throw new IOException(family is null
            ? $"Host '{host}' has no IPv4 or IPv6 address."
            : $"Host '{host}' has no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address.");
    }

    /// <summary>
    /// A new blocking <see cref="Socket"/> on a duplicate of <paramref name="socket"/>'s descriptor, so the caller may
    /// close theirs. On Windows the only duplication API closes the original, which the caller was allowed to do anyway.
    /// </summary>
    public static Socket Duplicate(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (OperatingSystem.IsWindows())
        {
            SocketInformation info = socket.DuplicateAndClose(Environment.ProcessId);
            return new Socket(info);
        }
        int fd = Dup((int)socket.SafeHandle.DangerousGetHandle());
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Could not duplicate the socket (errno {errno}).");
        }
        var duplicate = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        // The writer uses blocking calls. A socket that has seen asynchronous operations has O_NONBLOCK set on its
        // (shared) open file description, and .NET then refuses blocking calls on the wrapped duplicate; clearing the
        // flag is what the caller agreed to by handing the socket over (it must not use it any further).
        duplicate.Blocking = true;
        return duplicate;
    }

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);
}
