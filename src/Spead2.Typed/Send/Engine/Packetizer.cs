using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Spead2.Internal;
using Spead2.Protocol;

namespace Spead2.Send.Engine;

/// <summary>A piece of a packet's payload: bytes of one heap item, or zero padding when <see cref="ItemIndex"/> is -1.</summary>
/// <param name="ItemIndex">Index of the item in the heap, or -1 for zero padding.</param>
/// <param name="Offset">Byte offset inside the item's value.</param>
/// <param name="Length">Number of bytes.</param>
internal readonly record struct PayloadSegment(int ItemIndex, int Offset, int Length)
{
    /// <summary>Whether this segment is zero padding.</summary>
    public bool IsPadding => ItemIndex < 0;
}

/// <summary>
/// Splits a heap into packets exactly as spead2's packet generator does: the packet size rounded down to a multiple
/// of 8; HEAP_CNT, HEAP_LENGTH, PAYLOAD_OFFSET and PAYLOAD_LENGTH first in every packet; immediates for items that
/// fit; consecutive addresses from 0; the NULL pointer and zero padding so that every packet carries payload;
/// optional repetition of all pointers. Headers go into caller-owned memory and payload can be copied or taken as
/// segments of the items' own memory; nothing is allocated. The heap must not change while packets are generated.
/// </summary>
internal struct Packetizer
{
    private const int PointerSize = 8;

    /// <summary>The header and the four mandatory pointers.</summary>
    public const int PrefixSize = 8 + 4 * PointerSize;

    private Heap _heap;
    private long _cnt;
    private int _hab;
    private int _immediateBytes;
    private int _packetSize;
    private int _maxPointers;
    private int _itemCount;
    private long _payloadSize;
    private bool _needNull;
    private bool _repeatPointers;

    // The header's fixed words, prepared once per heap: the header without its pointer count, the HEAP_CNT and
    // HEAP_LENGTH immediates, and the PAYLOAD_OFFSET and PAYLOAD_LENGTH immediates without their values.
    private ulong _headerWord;
    private ulong _cntWord;
    private ulong _heapLengthWord;
    private ulong _payloadOffsetWord;
    private ulong _payloadLengthWord;

    private int _nextPointer;
    private long _nextAddress;
    private long _offset;

    // Payload cursor: the addressed item being copied and how far into it.
    private int _payloadItem;
    private int _payloadItemOffset;
    private int _packetPayloadLeft;

    /// <summary>Prepares to split <paramref name="heap"/> with heap counter <paramref name="cnt"/>.</summary>
    /// <param name="heap">The heap; it must not change until the last packet is generated.</param>
    /// <param name="cnt">The heap counter, from 0 to <see cref="Flavour.MaxHeapAddress"/>.</param>
    /// <param name="maxPacketSize">Largest packet in bytes; rounded down to a multiple of 8, at least 56.</param>
    /// <exception cref="ArgumentOutOfRangeException">The cnt or packet size is out of range, the packet size cannot fit the
    /// repeated pointers, or the heap is larger than the flavour can address.</exception>
    public Packetizer(Heap heap, long cnt, int maxPacketSize)
    {
        Start(heap, cnt, maxPacketSize);
    }

    /// <summary>
    /// Starts over on <paramref name="heap"/>, as the constructor does, in place: a queue slot's generator is set up
    /// without building a 120-byte struct on the stack and copying it in (a measurable share of a single-packet
    /// heap's cost). Nothing is changed when an argument is out of range.
    /// </summary>
    /// <inheritdoc cref="Packetizer(Heap, long, int)"/>
    [MemberNotNull(nameof(_heap))]
    public void Start(Heap heap, long cnt, int maxPacketSize)
    {
        ArgumentNullException.ThrowIfNull(heap);
        var flavour = heap.Flavour;
        if ((ulong)cnt > (ulong)flavour.MaxHeapAddress)
            ThrowHelper.OutOfRange(nameof(cnt), cnt, $"The heap cnt must be from 0 to {flavour.MaxHeapAddress} in {flavour}.");
        int packetSize = maxPacketSize & ~7;
        if (packetSize < StreamConfig.MinPacketSize)
            ThrowHelper.OutOfRange(nameof(maxPacketSize), maxPacketSize, $"The packet size is too small: at least {StreamConfig.MinPacketSize} bytes are needed.");

        // Checked in locals first: the fields change only once everything fits.
        int immediateBytes = flavour.ImmediateBytes;
        int maxPointers = (packetSize - (PrefixSize + PointerSize)) / PointerSize;
        int itemCount = heap.Count;
        bool repeatPointers = heap.RepeatPointers;
        long payload = 0;
        for (int i = 0; i < itemCount; i++)
        {
            ref readonly var e = ref heap.GetEntry(i);
            if (!e.IsImmediate(immediateBytes))
                payload += e.Length;
        }
        // Every packet that is full of pointers still needs payload to be ordered, hence 8 bytes for each of them
        // and 1 for the last; the +1 in the packet count leaves room for the NULL pointer.
        int itemPackets = itemCount / maxPointers + 1;
        if (repeatPointers && itemPackets > 1)
        {
            ThrowHelper.OutOfRange(nameof(maxPacketSize), maxPacketSize,
                $"The packet size is too small to repeat item pointers: {itemCount} pointers need at least {PrefixSize + PointerSize * (itemCount + 2)} bytes.");
        }

        long minPayload = (itemPackets - 1) * 8L + 1;
        bool needNull = payload < minPayload;
        if (needNull)
            payload = minPayload;
        if (payload > flavour.MaxHeapAddress)
            ThrowHelper.OutOfRange(nameof(heap), payload, $"The heap payload ({payload} bytes) is larger than {flavour} can address ({flavour.MaxHeapAddress}).");

        int hab = flavour.HeapAddressBits;
        _heap = heap;
        _cnt = cnt;
        _hab = hab;
        _immediateBytes = immediateBytes;
        _packetSize = packetSize;
        _maxPointers = maxPointers;
        _itemCount = itemCount;
        _repeatPointers = repeatPointers;
        _needNull = needNull;
        _payloadSize = payload;
        _nextPointer = 0;
        _nextAddress = 0;
        _offset = 0;
        _payloadItem = 0;
        _payloadItemOffset = 0;
        _packetPayloadLeft = 0;

        _headerWord = Wire.Header(immediateBytes, 0);
        _cntWord = Wire.Immediate(hab, ItemIds.HeapCnt, (ulong)cnt);
        _heapLengthWord = Wire.Immediate(hab, ItemIds.HeapLength, (ulong)payload);
        _payloadOffsetWord = Wire.Immediate(hab, ItemIds.PayloadOffset, 0);
        _payloadLengthWord = Wire.Immediate(hab, ItemIds.PayloadLength, 0);
    }

    /// <summary>Whether another packet remains.</summary>
    public readonly bool HasNextPacket => _offset < _payloadSize;

    /// <summary>The HEAP_LENGTH of every packet: the addressed payload plus any padding.</summary>
    public readonly long HeapLength => _payloadSize;

    /// <summary>The packet size in use (the requested one rounded down to a multiple of 8); no packet is larger.</summary>
    public readonly int PacketSize => _packetSize;

    /// <summary>The heap counter.</summary>
    public readonly long Cnt => _cnt;

    /// <summary>
    /// Writes the next whole packet (header, pointers and payload) into <paramref name="destination"/> and returns its
    /// length.
    /// </summary>
    /// <exception cref="InvalidOperationException">No packet remains.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the packet.</exception>
    public int NextPacket(Span<byte> destination)
    {
        int pointers = SizeNextPacket(out int headerLength, out int payloadLength);
        // Checked before anything is written or advanced, so a retry with a larger buffer loses nothing.
        if (destination.Length < headerLength + payloadLength)
            ThrowHelper.Argument(nameof(destination), $"The destination holds {destination.Length} bytes but the packet needs {headerLength + payloadLength}.");
        WriteHeader(destination, pointers, payloadLength);
        CopyPayload(destination.Slice(headerLength, payloadLength));
        return headerLength + payloadLength;
    }

    /// <summary>How many item pointers (NULL included) the next packet carries after the four mandatory ones.</summary>
    private readonly int NextPointerCount() =>
        Math.Min(_maxPointers, _itemCount + (_needNull ? 1 : 0) - (_repeatPointers ? 0 : _nextPointer));

    /// <summary>
    /// Writes the next packet's header and item pointers into <paramref name="header"/> and returns their length; the
    /// payload (<paramref name="payloadLength"/> bytes) is then taken with <see cref="TryGetPayloadSegment"/> or
    /// <see cref="CopyPayload"/>. <paramref name="header"/> needs <c>PacketSize - 8</c> bytes at most.
    /// </summary>
    public int NextPacketHeader(Span<byte> header, out int payloadLength)
    {
        int pointers = SizeNextPacket(out int headerLength, out payloadLength);
        if (header.Length < headerLength)
            ThrowHelper.Argument(nameof(header), $"The header buffer holds {header.Length} bytes but {headerLength} are needed.");
        WriteHeader(header, pointers, payloadLength);
        return headerLength;
    }

    /// <summary>The next packet's pointer count (after the mandatory four), header length and payload length.</summary>
    private readonly int SizeNextPacket(out int headerLength, out int payloadLength)
    {
        if (!HasNextPacket)
            ThrowHelper.InvalidOperation("The heap has no packets left.");
        int pointers = NextPointerCount();
        headerLength = PrefixSize + pointers * PointerSize;
        payloadLength = (int)Math.Min(_payloadSize - _offset, _packetSize - headerLength);
        return pointers;
    }

    /// <summary>Writes the header and pointers of the next packet (sized by <see cref="SizeNextPacket"/>) and advances.</summary>
    private void WriteHeader(Span<byte> header, int pointers, int length)
    {
        if (_repeatPointers)
        {
            _nextPointer = 0;
            _nextAddress = 0;
        }

        // The caller checked that the header fits (at least PrefixSize bytes). Offset and length are below the heap
        // length, which fits the address bits (checked by the constructor), so they can be or-ed into their words.
        ref byte h = ref MemoryMarshal.GetReference(header);
        Wire.WriteWordUnchecked(ref h, 0, _headerWord | (uint)(pointers + 4));
        Wire.WriteWordUnchecked(ref h, 8, _cntWord);
        Wire.WriteWordUnchecked(ref h, 16, _heapLengthWord);
        Wire.WriteWordUnchecked(ref h, 24, _payloadOffsetWord | (ulong)_offset);
        Wire.WriteWordUnchecked(ref h, 32, _payloadLengthWord | (uint)length);
        _offset += length;

        int hab = _hab;
        int p = PrefixSize;
        for (int i = 0; i < pointers; i++, p += PointerSize)
        {
            if (_nextPointer == _itemCount)
            {
                // The NULL pointer marks where the last addressed item ends, so padding is not read as part of it.
                Wire.WriteAddressed(header[p..], hab, ItemIds.Null, _nextAddress);
            }
            else
            {
                ref readonly var e = ref _heap.GetEntry(_nextPointer);
                if (e.Kind == EntryKind.Inline)
                {
                    Wire.WriteImmediate(header[p..], hab, e.Id, e.InlineValue);
                }
                else if (e.IsImmediate(_immediateBytes))
                {
                    Wire.WriteImmediate(header[p..], hab, e.Id, RightAligned(_heap.GetItemBytes(_nextPointer)));
                }
                else
                {
                    Wire.WriteAddressed(header[p..], hab, e.Id, _nextAddress);
                    _nextAddress += e.Length;
                }
            }
            _nextPointer++;
        }
        _packetPayloadLeft = length;
    }

    /// <summary>
    /// Takes the next piece of the current packet's payload: a slice of an item's memory, or zero padding.
    /// Returns false when the packet's payload is complete.
    /// </summary>
    public bool TryGetPayloadSegment(out PayloadSegment segment)
    {
        if (_packetPayloadLeft == 0)
        {
            segment = default;
            return false;
        }
        while (_payloadItem < _itemCount)
        {
            ref readonly var e = ref _heap.GetEntry(_payloadItem);
            int left = e.Length - _payloadItemOffset;
            if (left <= 0 || e.IsImmediate(_immediateBytes))
            {
                _payloadItem++;
                _payloadItemOffset = 0;
                continue;
            }
            int take = Math.Min(left, _packetPayloadLeft);
            segment = new PayloadSegment(_payloadItem, _payloadItemOffset, take);
            _payloadItemOffset += take;
            _packetPayloadLeft -= take;
            return true;
        }
        // Items exhausted: the rest of the heap is padding, after the data (spead2 4.4.1 can misplace it before).
        segment = new PayloadSegment(-1, 0, _packetPayloadLeft);
        _packetPayloadLeft = 0;
        return true;
    }

    /// <summary>The bytes of a segment returned by <see cref="TryGetPayloadSegment"/> (empty for padding).</summary>
    public readonly ReadOnlySpan<byte> GetSegmentBytes(in PayloadSegment segment) =>
        segment.IsPadding ? default : _heap.GetItemBytes(segment.ItemIndex).Slice(segment.Offset, segment.Length);

    /// <summary>Copies the rest of the current packet's payload into <paramref name="destination"/>.</summary>
    public void CopyPayload(Span<byte> destination)
    {
        int want = _packetPayloadLeft;
        if (want > 0 && _payloadItem < _itemCount)
        {
            // The usual case: the whole payload comes from the item being copied.
            ref readonly var e = ref _heap.GetEntry(_payloadItem);
            if (e.Length - _payloadItemOffset >= want && !e.IsImmediate(_immediateBytes))
            {
                _heap.GetItemBytes(_payloadItem).Slice(_payloadItemOffset, want).CopyTo(destination);
                _payloadItemOffset += want;
                _packetPayloadLeft = 0;
                return;
            }
        }
        int pos = 0;
        while (TryGetPayloadSegment(out var segment))
        {
            var dest = destination.Slice(pos, segment.Length);
            if (segment.IsPadding)
                dest.Clear();
            else
                _heap.GetItemBytes(segment.ItemIndex).Slice(segment.Offset, segment.Length).CopyTo(dest);
            pos += segment.Length;
        }
    }

    /// <summary>An immediate's bytes go to the low end of the pointer, unchanged (spead2 copies them there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RightAligned(ReadOnlySpan<byte> bytes)
    {
        ulong v = 0;
        foreach (byte b in bytes)
            v = (v << 8) | b;
        return v;
    }
}
