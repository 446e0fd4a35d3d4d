using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Spead2.Send.Native;

// The Linux system calls the UDP fast path uses, and the structures they take.
//
// Layouts follow the LP64 C ABI of glibc and musl on linux-x64 and linux-arm64 (pointers and
// size_t are 8 bytes, socklen_t and int are 4). Sequential layout with natural alignment gives
// the same padding the C compiler inserts. The fast path is only switched on for 64-bit Linux
// processes (see IsSupportedPlatform), so no 32-bit layout is needed.
//
// Kernel rules the sender relies on (net/socket.c, net/ipv4/udp.c, include/linux/udp.h):
// - sendmmsg sends the messages in order and returns how many were sent. If the first message
//   fails it returns -1 with errno; if a later one fails it returns the count before it and the
//   same error comes back on the next call that starts at the failing message.
// - With MSG_DONTWAIT a full socket buffer gives EAGAIN instead of blocking; poll(POLLOUT) tells
//   when there is room again. ENOBUFS (device queue full) is also transient.
// - A message's iovecs are gathered into one datagram; at most UIO_MAXIOV (1024) per message.
// - On a stream socket, sendmsg may write only part of the iovecs (returns the byte count); the
//   rest must be sent by a further call starting where it stopped.
// - UDP generic segmentation offload (Linux 4.18+): a control message (SOL_UDP, UDP_SEGMENT,
//   uint16 gso_size) asks the kernel to cut the message's data into datagrams of gso_size bytes,
//   the last one possibly shorter. The data must not exceed 64 segments (UDP_MAX_SEGMENTS in
//   older kernels; newer ones allow more) nor one IP datagram (65535 bytes with headers), and
//   gso_size plus headers must fit the route's MTU (else EINVAL, or EMSGSIZE on newer kernels,
//   where a plain datagram would have been fragmented). A device without checksum offload gives
//   EIO. So any failure of a merged message is retried unmerged before it counts. If the data is not longer than gso_size, the message is sent as a single
//   datagram, but the checks above still apply, so single packets are sent without the cmsg.
//   The data is cut by byte count whatever its iovec boundaries, so adjacent memory may share
//   one iovec across packets.
// - Before 4.18, udp_sendmsg ignores control messages of level SOL_UDP: a GSO message would then go
//   out as one merged datagram. GSO is therefore only used after getsockopt(SOL_UDP, UDP_SEGMENT)
//   succeeded, which kernels without GSO answer with ENOPROTOOPT.
// - errno values below are the asm-generic ones, shared by x86-64 and arm64.
internal static unsafe partial class LinuxSocketInterop
{
    public const int SolUdp = 17;          // SOL_UDP == IPPROTO_UDP
    public const int UdpSegment = 103;     // UDP_SEGMENT
    public const int MsgDontWait = 0x40;   // MSG_DONTWAIT
    public const int MsgNoSignal = 0x4000; // MSG_NOSIGNAL: a broken stream gives EPIPE, not SIGPIPE
    public const short PollOut = 0x4;      // POLLOUT
    public const int MaxIovPerMessage = 1024;   // UIO_MAXIOV
    public const int MaxGsoSegments = 64;       // UDP_MAX_SEGMENTS on the oldest GSO kernels
    public const ushort AfInet = 2;
    public const ushort AfInet6 = 10;

    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EAGAIN = 11;          // == EWOULDBLOCK
    public const int EACCES = 13;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int ENOSYS = 38;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;
    public const int EAFNOSUPPORT = 97;
    public const int EADDRNOTAVAIL = 99;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ENOBUFS = 105;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int ECANCELED = 125;

    /// <summary>CMSG_SPACE(sizeof(uint16)): header plus data rounded up to 8 bytes.</summary>
    public const int GsoControlSpace = 24;
    /// <summary>CMSG_LEN(sizeof(uint16)): header plus data, no trailing padding.</summary>
    public const int GsoControlLength = 18;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;   // filled by the kernel: bytes sent for this message
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>
    /// sendmmsg(2). Made through syscall(2) where the system call's number is known (x86-64, arm64): glibc's
    /// sendmmsg is a thread-cancellation point, which brackets the call with two atomic updates of the thread's
    /// cancellation state, about 1 % of a single-packet heap's time; .NET never cancels a thread, so they buy
    /// nothing. Elsewhere through libc's wrapper.
    /// </summary>
    public static int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags) =>
        SysSendMMsg != 0
            ? (int)Syscall4(SysSendMMsg, fd, (nint)messages, (nint)count, flags)
            : LibcSendMMsg(fd, messages, count, flags);

    // sendmmsg's number in the kernel's system call table of this process's architecture; 0 if unknown.
    private static readonly nint SysSendMMsg = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 307,
        Architecture.Arm64 => 269,
        _ => 0,
    };

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int LibcSendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    // syscall(2) with four arguments. It is variadic in C, but glibc's and musl's implementations on x86-64 and arm64
    // take the arguments from the same registers as a plain call: returns -1 and sets errno on failure.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall4(nint number, nint a1, nint a2, nint a3, nint a4);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    /// <summary>The fast path needs Linux, a 64-bit process (struct layouts above) and an OS socket handle.</summary>
    public static bool IsSupportedPlatform => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Asks the kernel whether it knows UDP_SEGMENT. Returns 0 when it does, else the errno.</summary>
    public static int ProbeGso(int fd)
    {
        int value = 0;
        uint length = sizeof(int);
        return GetSockOpt(fd, SolUdp, UdpSegment, &value, &length) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>How long one poll waits before cancellation is checked again.</summary>
    public const int PollTimeoutMs = 100;

    /// <summary>
    /// Waits until the socket can take more data (after EAGAIN or ENOBUFS). Returns false if cancelled
    /// first. Poll errors return true so that the next send reports the real problem.
    /// </summary>
    public static bool WaitWritable(int fd, int errno, CancellationToken cancellationToken)
    {
        PollFd pfd;
        pfd.Fd = fd;
        pfd.Events = PollOut;
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
                return false;
            pfd.Revents = 0;
            int r = Poll(&pfd, 1, PollTimeoutMs);
            if (r > 0)
            {
                // ENOBUFS is a full device queue, which poll does not report: give it a moment.
                if (errno == ENOBUFS)
                    Thread.Sleep(1);
                return true;
            }
            if (r < 0 && Marshal.GetLastPInvokeError() != EINTR)
                return true;
        }
    }

    /// <summary>Fills a control buffer of <see cref="GsoControlSpace"/> bytes with one UDP_SEGMENT message.</summary>
    public static void WriteGsoControl(byte* buffer, ushort segmentSize)
    {
        var header = (CMsgHdr*)buffer;
        header->Length = GsoControlLength;
        header->Level = SolUdp;
        header->Type = UdpSegment;
        *(ushort*)(buffer + sizeof(CMsgHdr)) = segmentSize;
    }

    /// <summary>
    /// Writes the C sockaddr for an endpoint (sockaddr_in, 16 bytes, or sockaddr_in6, 28 bytes) and
    /// returns its length. Ports and IPv4/IPv6 addresses are in network byte order, the family and
    /// scope id in host order.
    /// </summary>
    public static int WriteSockAddr(System.Net.IPEndPoint endpoint, Span<byte> destination)
    {
        destination.Clear();
        var port = (ushort)endpoint.Port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            MemoryMarshal.Write(destination, AfInet);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[2..], port);
            endpoint.Address.TryWriteBytes(destination.Slice(4, 4), out _);
            return 16;
        }
        MemoryMarshal.Write(destination, AfInet6);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(destination[2..], port);
        // flowinfo (4 bytes) stays 0
        endpoint.Address.TryWriteBytes(destination.Slice(8, 16), out _);
        MemoryMarshal.Write(destination[24..], (uint)endpoint.Address.ScopeId);
        return 28;
    }

    /// <summary>Maps the errno values a UDP send can give to the portable <see cref="SocketError"/>.</summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => SocketError.Success,
        EINTR => SocketError.Interrupted,
        EAGAIN => SocketError.WouldBlock,
        EACCES => SocketError.AccessDenied,
        EINVAL => SocketError.InvalidArgument,
        EPIPE => SocketError.Shutdown,
        ECONNRESET => SocketError.ConnectionReset,
        ENOTCONN => SocketError.NotConnected,
        EMSGSIZE => SocketError.MessageSize,
        ENOPROTOOPT => SocketError.ProtocolOption,
        EOPNOTSUPP => SocketError.OperationNotSupported,
        EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        ENETDOWN => SocketError.NetworkDown,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ENOBUFS => SocketError.NoBufferSpaceAvailable,
        ECONNREFUSED => SocketError.ConnectionRefused,
        EHOSTUNREACH => SocketError.HostUnreachable,
        ECANCELED => SocketError.OperationAborted,
        _ => SocketError.SocketError,
    };
}
