using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Spead2.Internal;
using Spead2.Send.Engine;
using static Spead2.Send.Native.LinuxSocketInterop;

namespace Spead2.Send.Native;

/// <summary>Sizes of a <see cref="PacketBatch"/>; the defaults suit SPEAD packets up to 9000 bytes.</summary>
internal class PacketBatchOptions
{
    /// <summary>Packets collected before the batch must be sent.</summary>
    public int MaxPackets { get; init; } = 256;

    /// <summary>Gather entries (header, payload pieces) for the whole batch.</summary>
    public int MaxIovecs { get; init; } = 256 * 8;

    /// <summary>Bytes of native scratch for headers and copied payload pieces, for the whole batch.</summary>
    public int ScratchBytes { get; init; } = 256 * 128 + 9000;

    /// <summary>Payload pieces up to this size are copied next to the header instead of getting their own gather entry.</summary>
    public int SmallCopyThreshold { get; init; } = 64;
}

/// <summary>
/// A batch of packets, each a gather list of memory pieces: a header in the batch's native scratch and
/// payload pointing into the caller's pinned memory (zero copy). Subclasses send the batch over a socket
/// with as few system calls as the platform allows.
/// </summary>
/// <remarks>
/// Use: <see cref="BeginPacket"/> (write the header into the returned span) → <see cref="CommitScratch"/>
/// → <see cref="AddPayload"/>… → <see cref="EndPacket"/>, repeated while <see cref="HasRoom"/>; then
/// <see cref="Send"/>, read the per-packet results, <see cref="Clear"/>. Memory passed to
/// <see cref="AddPayload"/> must stay pinned until <see cref="Send"/> returns. Nothing is allocated
/// after construction. Not thread safe: one batch per stream writer.
/// </remarks>
internal abstract unsafe class PacketBatch : IDisposable
{
    protected struct PacketEntry
    {
        public int Endpoint;
        public int FirstIov;
        public int IovCount;
        public int Length;
        public int Errno;
        public SocketError Error;
    }

    private readonly int _endpointCount;
    private readonly int _maxIovecs;
    private readonly int _scratchBytes;
    private readonly int _smallCopy;
    private byte* _block;            // iovecs | scratch
    private byte[]? _gather;
    private int _iovUsed;
    private int _scratchUsed;
    private int _scratchReserveEnd = -1;   // >= 0 while a packet is open

    protected PacketBatch(PacketBatchOptions options, int endpointCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPackets, 1, nameof(options.MaxPackets));
        // At least one gather entry per packet.
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxIovecs, options.MaxPackets, nameof(options.MaxIovecs));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ScratchBytes, nameof(options.ScratchBytes));
        _endpointCount = endpointCount;
        Packets = new PacketEntry[options.MaxPackets];
        _maxIovecs = options.MaxIovecs;
        _scratchBytes = options.ScratchBytes;
        _smallCopy = options.SmallCopyThreshold;
        nuint iovBytes = (nuint)sizeof(IoVec) * (nuint)_maxIovecs;
        _block = (byte*)NativeMemory.AlignedAlloc(iovBytes + (nuint)_scratchBytes, 64);
        Iov = (IoVec*)_block;
        Scratch = _block + iovBytes;
    }

    /// <summary>Frees the native memory of a batch nobody disposed.</summary>
    ~PacketBatch() => Dispose(false);

    protected PacketEntry[] Packets { get; }

    protected IoVec* Iov { get; }

    /// <summary>Capacity of <see cref="Iov"/>.</summary>
    protected int MaxIovecs => _maxIovecs;

    private byte* Scratch { get; }

    /// <summary>Packets in the current batch.</summary>
    public int Count { get; private set; }

    /// <summary>Capacity of a batch in packets.</summary>
    public int MaxPackets => Packets.Length;

    /// <summary>System calls that sent data, for measurements.</summary>
    public long SendCalls { get; protected set; }

    protected bool IsDisposed => _block == null;

    /// <summary>Whether one more packet using up to <paramref name="scratchBytes"/> of scratch and <paramref name="iovecs"/> gather entries fits.</summary>
    public bool HasRoom(int scratchBytes, int iovecs) =>
        Count < Packets.Length && _scratchUsed + scratchBytes <= _scratchBytes && iovecs <= AvailableIovecs;

    /// <summary>
    /// Gather entries the current (or next) packet may use: one entry stays reserved for every later
    /// packet the batch can still take, so a packet always gets at least one.
    /// </summary>
    private int AvailableIovecs => _maxIovecs - _iovUsed - (Packets.Length - Count - 1);

    /// <summary>
    /// Starts a packet to substream <paramref name="endpointIndex"/> and returns <paramref name="scratchBytes"/>
    /// of native scratch (stable until <see cref="Clear"/>) for its header and any copied payload.
    /// </summary>
    public Span<byte> BeginPacket(int endpointIndex, int scratchBytes)
    {
        if (_scratchReserveEnd >= 0)
            ThrowHelper.InvalidOperation("EndPacket was not called for the previous packet.");
        if ((uint)endpointIndex >= (uint)_endpointCount)
            ThrowHelper.OutOfRange(nameof(endpointIndex), endpointIndex, $"Substream index must be below the number of endpoints ({_endpointCount}).");
        if (Count >= Packets.Length || scratchBytes < 0 || _scratchUsed + scratchBytes > _scratchBytes)
            ThrowHelper.InvalidOperation("The batch is full: call Send and Clear first (check HasRoom).");
        ref var p = ref Packets[Count];
        p.Endpoint = endpointIndex;
        p.FirstIov = _iovUsed;
        p.IovCount = 0;
        p.Length = 0;
        p.Errno = 0;
        p.Error = SocketError.Success;
        _scratchReserveEnd = _scratchUsed + scratchBytes;
        return new Span<byte>(Scratch + _scratchUsed, scratchBytes);
    }

    /// <summary>
    /// Adds the next packet of <paramref name="generator"/> written whole (header and payload) into the scratch, as one
    /// gather entry; returns its index. Same as <see cref="BeginPacket"/>, <see cref="CommitScratch"/> and
    /// <see cref="EndPacket"/> with a whole packet of scratch, in one step (the small-packet writer's hot path).
    /// Packets added one after another lie back to back, so the UDP sender merges a run of them into one gather entry
    /// per GSO message.
    /// </summary>
    public int AddWholePacket(int endpointIndex, ref Packetizer generator)
    {
        int reserve = generator.PacketSize;
        int index = Count;
        if (_scratchReserveEnd >= 0 || (uint)endpointIndex >= (uint)_endpointCount || index >= Packets.Length
            || _scratchUsed + reserve > _scratchBytes || AvailableIovecs < 1)
        {
            // Let the general methods report what is wrong.
            var scratch = BeginPacket(endpointIndex, reserve);
            CommitScratch(generator.NextPacket(scratch));
            return EndPacket();
        }
        byte* destination = Scratch + _scratchUsed;
        int length = generator.NextPacket(new Span<byte>(destination, reserve));
        Iov[_iovUsed].Base = destination;
        Iov[_iovUsed].Length = (nuint)length;
        Packets[index] = new PacketEntry { Endpoint = endpointIndex, FirstIov = _iovUsed, IovCount = 1, Length = length };
        _iovUsed++;
        // Keep headers 8-byte aligned for the next packet (as EndPacket).
        _scratchUsed = Math.Min((_scratchUsed + length + 7) & ~7, _scratchBytes);
        Count = index + 1;
        return index;
    }

    /// <summary>Appends the first <paramref name="bytes"/> of the scratch returned by <see cref="BeginPacket"/> to the packet.</summary>
    public void CommitScratch(int bytes)
    {
        if ((uint)bytes > (uint)(_scratchReserveEnd - _scratchUsed))
            ThrowHelper.InvalidOperation("Committed more scratch than reserved.");
        if (bytes == 0)
            return;
        AppendIov(Scratch + _scratchUsed, bytes);
        _scratchUsed += bytes;
    }

    /// <summary>
    /// Appends <paramref name="length"/> bytes at <paramref name="data"/> to the packet without copying.
    /// The memory must stay pinned until <see cref="Send"/> returns.
    /// </summary>
    public void AddPayload(byte* data, int length)
    {
        if (_scratchReserveEnd < 0)
            ThrowHelper.InvalidOperation("BeginPacket was not called.");
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        // Small pieces are cheaper to copy than to describe. When gather entries run short, copying into
        // the reserved scratch keeps the packet going: a zero-copy entry is only taken if one more stays
        // free for copies that may follow it (consecutive copies share one entry).
        // A packet must also stay within the kernel's UIO_MAXIOV entries per message.
        bool canCopy = length <= _scratchReserveEnd - _scratchUsed;
        if (canCopy && (length <= _smallCopy || AvailableIovecs < 2 || Packets[Count].IovCount >= MaxIovPerMessage - 2))
        {
            AddPayloadCopy(new ReadOnlySpan<byte>(data, length));
            return;
        }
        AppendIov(data, length);
    }

    /// <summary>Copies <paramref name="data"/> into the packet's reserved scratch and appends it to the packet.</summary>
    public void AddPayloadCopy(ReadOnlySpan<byte> data)
    {
        if (_scratchReserveEnd < 0)
            ThrowHelper.InvalidOperation("BeginPacket was not called.");
        if (data.Length > _scratchReserveEnd - _scratchUsed)
            ThrowHelper.InvalidOperation("Not enough reserved scratch for the copied payload.");
        byte* dst = Scratch + _scratchUsed;
        data.CopyTo(new Span<byte>(dst, data.Length));
        _scratchUsed += data.Length;
        ref var p = ref Packets[Count];
        // Contiguous with the packet's previous piece (its header, typically): grow that entry.
        if (p.IovCount > 0 && Iov[_iovUsed - 1].Base + Iov[_iovUsed - 1].Length == dst)
        {
            Iov[_iovUsed - 1].Length += (nuint)data.Length;
            p.Length += data.Length;
        }
        else if (data.Length > 0)
        {
            AppendIov(dst, data.Length);
        }
    }

    /// <summary>Finishes the packet; returns its index in the batch.</summary>
    public int EndPacket()
    {
        if (_scratchReserveEnd < 0)
            ThrowHelper.InvalidOperation("BeginPacket was not called.");
        // Keep headers 8-byte aligned for the next packet.
        _scratchUsed = Math.Min((_scratchUsed + 7) & ~7, _scratchBytes);
        _scratchReserveEnd = -1;
        return Count++;
    }

    /// <summary>Forgets the batch (results included); the scratch is reused.</summary>
    public void Clear()
    {
        Count = 0;
        _iovUsed = 0;
        _scratchUsed = 0;
        _scratchReserveEnd = -1;
    }

    /// <summary>Size in bytes of packet <paramref name="index"/>.</summary>
    public int GetLength(int index) => Packets[index].Length;

    /// <summary>Result of packet <paramref name="index"/> after <see cref="Send"/>.</summary>
    public SocketError GetError(int index) => Packets[index].Error;

    /// <summary>Builds the exception reported for a failed packet (cold path).</summary>
    public IOException CreateException(int index)
    {
        ref var p = ref Packets[index];
        var inner = new SocketException((int)p.Error);
        string detail = OperatingSystem.IsLinux() && p.Errno != 0 ? Marshal.GetPInvokeErrorMessage(p.Errno) : inner.Message;
        return new IOException(DescribeFailure(p.Length, p.Endpoint, $"{detail} (errno {p.Errno})"), inner);
    }

    /// <summary>
    /// Sends every packet of the batch in order, waiting for socket buffer space when needed (nothing is
    /// dropped). Failed packets get their error (see <see cref="GetError"/>). On cancellation while
    /// waiting, the unsent packets get <see cref="SocketError.OperationAborted"/>.
    /// </summary>
    public void Send(CancellationToken cancellationToken = default)
    {
        if (_scratchReserveEnd >= 0)
            ThrowHelper.InvalidOperation("EndPacket was not called for the last packet.");
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        SendCore(cancellationToken);
    }

    protected abstract void SendCore(CancellationToken cancellationToken);

    /// <summary>The message of the exception for a packet that failed.</summary>
    protected abstract string DescribeFailure(int length, int endpoint, string detail);

    /// <summary>The packet's bytes: its single piece, or all pieces gathered into a reused buffer.</summary>
    protected ReadOnlySpan<byte> GatherPacket(ref PacketEntry p)
    {
        if (p.IovCount == 1)
            return new ReadOnlySpan<byte>(Iov[p.FirstIov].Base, p.Length);
        if (_gather == null || _gather.Length < p.Length)
            _gather = new byte[Math.Max(p.Length, 9000)];   // grows to the largest packet once
        int offset = 0;
        for (int k = 0; k < p.IovCount; k++)
        {
            ref var v = ref Iov[p.FirstIov + k];
            new ReadOnlySpan<byte>(v.Base, (int)v.Length).CopyTo(_gather.AsSpan(offset));
            offset += (int)v.Length;
        }
        return _gather.AsSpan(0, offset);
    }

    protected void MarkFailed(int from, int to, int errno) => MarkFailed(from, to, errno, ToSocketError(errno));

    protected void MarkFailed(int from, int to, int errno, SocketError error)
    {
        for (int i = from; i < to; i++)
        {
            Packets[i].Errno = errno;
            Packets[i].Error = error;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AppendIov(byte* data, int length)
    {
        if (AvailableIovecs < 1)
            ThrowHelper.InvalidOperation("The batch has no gather entries left for this packet and no reserved scratch to copy into (check HasRoom).");
        Iov[_iovUsed].Base = data;
        Iov[_iovUsed].Length = (nuint)length;
        _iovUsed++;
        ref var p = ref Packets[Count];
        p.IovCount++;
        p.Length += length;
    }

    /// <summary>Frees the native memory.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_block == null)
            return;
        NativeMemory.AlignedFree(_block);
        _block = null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
