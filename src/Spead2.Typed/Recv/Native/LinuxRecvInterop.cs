using System.Runtime.InteropServices;

namespace Spead2.Recv.Native;

// The Linux system calls the batched UDP receive path uses, and the structures they take. This is
// the receive side's own copy (the send side keeps its interop under Send/Native and may change it
// independently).
//
// Layouts follow the LP64 C ABI of glibc and musl on linux-x64 and linux-arm64 (pointers and size_t
// 8 bytes, int and socklen_t 4). Sequential layout with natural alignment gives the padding the C
// compiler inserts: msghdr is 56 bytes, mmsghdr 64 (msg_len plus 4 bytes of tail padding).
//
// Kernel behaviour relied on (net/socket.c, net/ipv4/udp.c, net/core/sock.c, fs/eventfd.c):
// - recvmmsg with MSG_DONTWAIT returns the datagrams already queued (up to vlen), or -1/EAGAIN if there
//   are none. Each message's msg_len is the bytes stored; a datagram longer than the buffer is cut
//   and MSG_TRUNC is set in its msg_flags. msg_controllen is overwritten with the control bytes used,
//   so it is set again before every call.
// - UDP_GRO (Linux 5.0+, setsockopt(SOL_UDP, UDP_GRO, 1)): the kernel may hand over several datagrams
//   of one flow in one message, back to back, with a control message (SOL_UDP, UDP_GRO, int gso_size):
//   every datagram but the last is exactly gso_size bytes. Without that control message the message is
//   one datagram. Kernels without it refuse the option (ENOPROTOOPT), which leaves GRO off.
// - SO_RXQ_OVFL (Linux 2.6.33+): each message carries (SOL_SOCKET, SO_RXQ_OVFL, uint32) = the socket's
//   drop counter when the datagram was queued, if that counter is not zero. The counter counts the
//   datagrams the kernel dropped for this socket, chiefly because its receive buffer was full.
// - SO_MEMINFO (Linux 4.6+; the drop counter at index 8 since 4.17) reads the same drop counter at any
//   time, so the count is exact even when no datagram follows the last drop.
// - poll on an eventfd reports POLLIN once something was written to it; the reader uses one to be
//   woken from poll when the stream stops. A blocking read of an eventfd waits until its counter is
//   not zero, returns the counter and sets it to zero (the ring's delivery thread sleeps that way).
// - errno values are the asm-generic ones, shared by x86-64 and arm64; so are the flag values below.
internal static unsafe partial class LinuxRecvInterop
{
    public const int SolSocket = 1;
    public const int SoRxqOvfl = 40;
    public const int SoMemInfo = 55;
    public const int SkMemInfoDrops = 8;   // index of the drop counter in SO_MEMINFO's uint32 array
    public const int SolUdp = 17;          // SOL_UDP == IPPROTO_UDP
    public const int UdpGro = 104;
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const short PollIn = 0x1;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const short PollNval = 0x20;
    public const int EfdNonBlock = 0x800;   // O_NONBLOCK
    public const int EfdCloExec = 0x80000;  // O_CLOEXEC

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENOBUFS = 105;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int ENETUNREACH = 101;

    /// <summary>Room for the control messages of one datagram: CMSG_SPACE(int) for UDP_GRO plus CMSG_SPACE(uint32) for SO_RXQ_OVFL, with slack.</summary>
    public const int ControlSpace = 64;

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
        public uint Length;
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

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>The batched path needs Linux and a 64-bit process (the layouts above).</summary>
    public static bool IsSupportedPlatform => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Sets an int socket option; returns 0 or the errno.</summary>
    public static int SetIntOption(int fd, int level, int name, int value) =>
        SetSockOpt(fd, level, name, &value, sizeof(int)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>CMSG_ALIGN: control messages start on 8-byte boundaries on LP64.</summary>
    public static nuint Align(nuint length) => (length + 7) & ~(nuint)7;
}
