using System.Runtime.CompilerServices;

namespace Spead2.Recv;

/// <summary>
/// Cuts packets out of a byte stream (TCP) the way spead2's TCP reader does: the size comes
/// from the header and the first immediate PAYLOAD_LENGTH; an invalid header, or one without an
/// immediate PAYLOAD_LENGTH, skips 8 bytes; a packet over the size limit is skipped whole; a
/// buffer that fills up without a decodable size is discarded.
/// </summary>
internal sealed class PacketFramer
{
    private readonly byte[] _buffer;
    private readonly int _maxPacketSize;
    private int _head;
    private int _tail;
    private long _toSkip;
    private bool _resyncing;

    /// <param name="maxPacketSize">Largest packet accepted.</param>
    /// <param name="minimumBuffer">Smallest buffer (readers ask for large reads).</param>
    public PacketFramer(int maxPacketSize, int minimumBuffer = 64 * 1024)
    {
        _maxPacketSize = maxPacketSize;
        // Room for two full packets, so that a packet straddling two reads fits after compaction.
        _buffer = new byte[Math.Max(2L * maxPacketSize, minimumBuffer)];
    }

    /// <summary>Bytes handed to the assembler as packets so far.</summary>
    public long FramedBytes { get; private set; }

    /// <summary>Bytes buffered but not yet consumed.</summary>
    public int Buffered => _tail - _head;

    /// <summary>Where the next read should write to; never empty.</summary>
    public Memory<byte> GetReceiveSpace()
    {
        if (_head == _tail)
        {
            _head = _tail = 0;
        }
        else if (_head > _buffer.Length / 2 || _tail == _buffer.Length)
        {
            _buffer.AsSpan(_head, _tail - _head).CopyTo(_buffer);
            _tail -= _head;
            _head = 0;
        }
        return _buffer.AsMemory(_tail);
    }

    /// <summary>
    /// Consumes <paramref name="received"/> newly written bytes, feeding whole packets to the
    /// assembler until more bytes are needed or the assembler stops.
    /// </summary>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Process(int received, HeapAssembler assembler, ICollection<ReceivedHeap> ready)
    {
        _tail += received;
        while (_tail > _head && !assembler.IsStopped)
        {
            if (_toSkip > 0)
            {
                int skip = (int)Math.Min(_toSkip, _tail - _head);
                _head += skip;
                _toSkip -= skip;
                assembler.CountSkipped(skip);
                continue;
            }
            var available = _buffer.AsSpan(_head, _tail - _head);
            long size = PacketDecoder.GetPacketSize(available);
            if (size < 0)
            {
                // Lost framing: count it once per run of skips, then skip a header's worth.
                if (!_resyncing)
                {
                    assembler.CountMalformed();
                    _resyncing = true;
                }
                _head += 8;
                assembler.CountSkipped(8);
                continue;
            }
            if (size == 0)
            {
                if (_head == 0 && _tail == _buffer.Length)
                {
                    // The header claims more pointers than the buffer holds: give it all up.
                    assembler.CountMalformed();
                    assembler.CountSkipped(_tail - _head);
                    _head = _tail;
                }
                return;
            }
            _resyncing = false;
            if (size > _maxPacketSize)
            {
                assembler.CountMalformed();
                _toSkip = size;
                continue;
            }
            if (available.Length < size)
                return;
            var packet = available.Slice(0, (int)size);
            _head += (int)size;
            FramedBytes += size;
            assembler.AddPacket(packet, ready, requireExactLength: true);
        }
    }
}
