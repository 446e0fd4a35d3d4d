using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Spead2.Send.Native.LinuxSocketInterop;

namespace Spead2.Send.Native;

/// <summary>
/// Writes a batch of packets back to back on a connected stream socket (TCP: no framing, the receiver
/// finds boundaries from the headers). On 64-bit Linux one <c>sendmsg</c> carries up to 1024 gather
/// entries, so header and payload are never copied; elsewhere, or when forced, packets are copied into
/// a reused buffer of <see cref="PortableChunkBytes"/> and written with <see cref="Socket.Send(ReadOnlySpan{byte})"/>.
/// An error breaks the byte stream, so it fails the packet it hit, every later packet of the batch and
/// every packet of later batches.
/// </summary>
internal sealed unsafe class TcpBatchSender : PacketBatch
{
    /// <summary>Size of the copy buffer of the portable path.</summary>
    public const int PortableChunkBytes = 256 * 1024;

    private readonly Socket _socket;
    private SafeSocketHandle? _handle;
    private bool _handleAdded;
    private int _fd = -1;
    private readonly System.Net.EndPoint? _remote;
    private byte[]? _chunk;
    private int _brokenErrno;
    private SocketError _brokenError;

    /// <summary>Creates a writer on a connected stream socket.</summary>
    public TcpBatchSender(Socket socket, PacketBatchOptions? options = null, bool forcePortable = false)
        : base(options ?? new PacketBatchOptions(), 1)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Stream)
            throw new ArgumentException("The socket must be a stream (TCP) socket.", nameof(socket));
        _socket = socket;
        _remote = socket.RemoteEndPoint;
        if (forcePortable || UdpBatchSender.IsPortableForcedByEnvironment() || !IsSupportedPlatform)
            return;
        try
        {
            _handle = socket.SafeHandle;
            _handle.DangerousAddRef(ref _handleAdded);
            _fd = (int)_handle.DangerousGetHandle();
            MsgHdr empty = default;
            // Checks that the entry point loads; an empty message writes nothing (its result does not
            // matter here: a connection problem shows up on the first real write).
            _ = SendMsg(_fd, &empty, MsgDontWait | MsgNoSignal);
            UsesGatherWrites = true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            ReleaseHandle();
        }
    }

    /// <summary>True when packets go out as gather lists through <c>sendmsg</c>.</summary>
    public bool UsesGatherWrites { get; private set; }

    protected override string DescribeFailure(int length, int endpoint, string detail) =>
        $"The TCP connection to {_remote} was lost while sending a {length}-byte packet: {detail}.";

    protected override void SendCore(CancellationToken cancellationToken)
    {
        if (UsesGatherWrites)
            SendNative(cancellationToken);
        else
            SendPortable(cancellationToken);
    }

    private void SendNative(CancellationToken cancellationToken)
    {
        int count = Count;
        if (count == 0)
            return;
        if (_brokenErrno != 0)
        {
            // Part of a packet may have gone out before the failure: nothing more may follow it.
            MarkFailed(0, count, _brokenErrno);
            return;
        }
        var packets = Packets;
        int iovEnd = packets[count - 1].FirstIov + packets[count - 1].IovCount;
        int iov = 0;
        int packet = 0;    // first packet not completely written
        while (iov < iovEnd)
        {
            MsgHdr h = default;
            h.Iov = Iov + iov;
            h.IovLength = (nuint)Math.Min(MaxIovPerMessage, iovEnd - iov);
            nint written = SendMsg(_fd, &h, MsgDontWait | MsgNoSignal);
            SendCalls++;
            if (written < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == ENOBUFS)
                {
                    if (WaitWritable(_fd, errno, cancellationToken))
                        continue;
                    errno = ECANCELED;
                }
                MarkFailed(packet, count, errno);
                _brokenErrno = errno;
                return;
            }
            // Skip what was written; a partly written entry is trimmed in place (the batch is used once).
            while (written > 0)
            {
                ref var v = ref Iov[iov];
                if ((nuint)written >= v.Length)
                {
                    written -= (nint)v.Length;
                    iov++;
                }
                else
                {
                    v.Base += written;
                    v.Length -= (nuint)written;
                    written = 0;
                }
            }
            // Zero-length entries at the current position are complete too.
            while (iov < iovEnd && Iov[iov].Length == 0)
                iov++;
            while (packet < count && packets[packet].FirstIov + packets[packet].IovCount <= iov)
                packet++;
        }
    }

    private void SendPortable(CancellationToken cancellationToken)
    {
        _chunk ??= new byte[PortableChunkBytes];
        int count = Count;
        if (_brokenError != SocketError.Success)
        {
            MarkFailed(0, count, _brokenErrno, _brokenError);
            return;
        }
        int first = 0;       // first packet of the chunk being filled
        int used = 0;
        for (int i = 0; i <= count; i++)
        {
            if (i < count)
            {
                ReadOnlySpan<byte> bytes = GatherPacket(ref Packets[i]);
                if (used + bytes.Length <= _chunk.Length)
                {
                    bytes.CopyTo(_chunk.AsSpan(used));
                    used += bytes.Length;
                    continue;
                }
                if (used == 0)
                {
                    // Larger than the chunk on its own: write it directly.
                    if (!WriteAll(bytes, i, cancellationToken))
                        return;
                    first = i + 1;
                    continue;
                }
            }
            if (used > 0 && !WriteAll(_chunk.AsSpan(0, used), first, cancellationToken))
                return;
            used = 0;
            first = i;
            if (i < count)
                i--;   // the packet that did not fit starts the next chunk
        }
    }

    private bool WriteAll(ReadOnlySpan<byte> data, int firstPacket, CancellationToken cancellationToken)
    {
        while (data.Length > 0)
        {
            try
            {
                int n = _socket.Send(data, SocketFlags.None);
                SendCalls++;
                data = data[n..];
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.NoBufferSpaceAvailable or SocketError.Interrupted)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    MarkFailed(firstPacket, Count, ECANCELED);
                    _brokenErrno = ECANCELED;
                    _brokenError = SocketError.OperationAborted;
                    return false;
                }
                _socket.Poll(PollTimeoutMs * 1000, SelectMode.SelectWrite);
            }
            catch (SocketException ex)
            {
                MarkFailed(firstPacket, Count, ex.NativeErrorCode, ex.SocketErrorCode);
                _brokenErrno = ex.NativeErrorCode;
                _brokenError = ex.SocketErrorCode;
                return false;
            }
            catch (ObjectDisposedException)
            {
                MarkFailed(firstPacket, Count, 0, SocketError.Shutdown);
                _brokenError = SocketError.Shutdown;
                return false;
            }
        }
        return true;
    }

    private void ReleaseHandle()
    {
        if (_handleAdded)
        {
            _handleAdded = false;
            _handle!.DangerousRelease();
        }
        _fd = -1;
        UsesGatherWrites = false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            ReleaseHandle();
        base.Dispose(disposing);
    }
}
