using System.Buffers.Binary;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Recv;

public class PacketDecoderTests
{
    // spead2's bare start heap in SPEAD-64-40, cnt 1 (57 bytes; protocol notes §6.1).
    private static readonly byte[] StartHeap = Hex.Parse(
        "53 04 03 05 00 00 00 06 | 80 00 01 00 00 00 00 01 | 80 00 02 00 00 00 00 01 | 80 00 03 00 00 00 00 00" +
        "80 00 04 00 00 00 00 01 | 80 00 06 00 00 00 00 00 | 00 00 00 00 00 00 00 00 | 00");

    [Fact]
    public void DecodesSpead2StartHeap()
    {
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(StartHeap, out var header, requireExactLength: true));
        Assert.Equal(40, header.HeapAddressBits);
        Assert.Equal(6, header.PointerCount);
        Assert.Equal(1, header.HeapCnt);
        Assert.Equal(1, header.HeapLength);
        Assert.Equal(0, header.PayloadOffset);
        Assert.Equal(1, header.PayloadLength);
        Assert.Equal(57, header.Size);
        Assert.Equal(56, header.PayloadStart);
        Assert.Equal(57, PacketDecoder.GetPacketSize(StartHeap));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    [InlineData(40)]
    [InlineData(48)]
    [InlineData(56)]
    public void DecodesEveryFlavour(int hab)
    {
        long cnt = (1L << (hab - 1)) + 3 & ((1L << hab) - 1);
        var packet = RefEncoder.Packet(hab, cnt, 3, 0, [1, 2, 3], RefEncoder.Addr(hab, 0x7F, 0));
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(packet, out var header, true));
        Assert.Equal(hab, header.HeapAddressBits);
        Assert.Equal(cnt, header.HeapCnt);
        Assert.Equal(3, header.PayloadLength);
    }

    [Fact]
    public void SpecialsMayBeAnywhereAndHeapLengthIsOptional()
    {
        var packet = RefEncoder.Packet(40, [RefEncoder.Addr(40, 0x1000, 0), RefEncoder.Imm(40, 4, 2), RefEncoder.Imm(40, 3, 5), RefEncoder.Imm(40, 1, 9)], [7, 8]);
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(packet, out var header, true));
        Assert.Equal(9, header.HeapCnt);
        Assert.Equal(-1, header.HeapLength);
        Assert.Equal(5, header.PayloadOffset);
    }

    [Fact]
    public void RejectsShortPackets()
    {
        Assert.Equal(PacketStatus.TooShort, PacketDecoder.Decode(StartHeap.AsSpan(0, 7), out _));
        Assert.Equal(PacketStatus.TooShort, PacketDecoder.Decode([], out _));
    }

    [Theory]
    [InlineData(0, 0x52)]   // magic
    [InlineData(1, 0x03)]   // version
    public void RejectsBadMagicOrVersion(int index, byte value)
    {
        var packet = (byte[])StartHeap.Clone();
        packet[index] = value;
        Assert.Equal(PacketStatus.BadMagic, PacketDecoder.Decode(packet, out _));
        Assert.Equal(-1, PacketDecoder.GetPacketSize(packet));
    }

    [Theory]
    [InlineData(0, 8)]
    [InlineData(8, 0)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    public void RejectsWidthsThatAreNotSpead64(byte idBytes, byte addressBytes)
    {
        var packet = (byte[])StartHeap.Clone();
        packet[2] = idBytes;
        packet[3] = addressBytes;
        Assert.Equal(PacketStatus.BadFlavour, PacketDecoder.Decode(packet, out _));
    }

    [Fact]
    public void RejectsPointerCountPastTheEnd()
    {
        var packet = (byte[])StartHeap.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 7);   // 8 + 56 > 57
        Assert.Equal(PacketStatus.PointersOverflow, PacketDecoder.Decode(packet, out _));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), 0xFFFF);
        Assert.Equal(PacketStatus.PointersOverflow, PacketDecoder.Decode(packet, out _));
        Assert.Equal(0, PacketDecoder.GetPacketSize(packet));   // a stream reader would wait for more
    }

    [Fact]
    public void RequiresImmediateSpecials()
    {
        byte[] payload = [0];
        Assert.Equal(PacketStatus.MissingHeapCnt,
            PacketDecoder.Decode(RefEncoder.Packet(40, [RefEncoder.Imm(40, 3, 0), RefEncoder.Imm(40, 4, 1)], payload), out _));
        Assert.Equal(PacketStatus.MissingPayloadOffset,
            PacketDecoder.Decode(RefEncoder.Packet(40, [RefEncoder.Imm(40, 1, 1), RefEncoder.Imm(40, 4, 1)], payload), out _));
        Assert.Equal(PacketStatus.MissingPayloadLength,
            PacketDecoder.Decode(RefEncoder.Packet(40, [RefEncoder.Imm(40, 1, 1), RefEncoder.Imm(40, 3, 0)], payload), out _));
        // Addressed specials do not count.
        Assert.Equal(PacketStatus.MissingHeapCnt,
            PacketDecoder.Decode(RefEncoder.Packet(40, [RefEncoder.Addr(40, 1, 1), RefEncoder.Imm(40, 3, 0), RefEncoder.Imm(40, 4, 1)], payload), out _));
        Assert.Equal(-1, PacketDecoder.GetPacketSize(RefEncoder.Packet(40, [RefEncoder.Imm(40, 1, 1), RefEncoder.Addr(40, 4, 1)], payload)));
    }

    [Fact]
    public void ChecksPayloadLengthAgainstTheBytes()
    {
        var packet = RefEncoder.Packet(40, 1, 4, 0, [1, 2, 3, 4]);
        Assert.Equal(PacketStatus.PayloadOverflow, PacketDecoder.Decode(packet.AsSpan(0, packet.Length - 1), out _));
        var longer = packet.Concat(new byte[] { 9 }).ToArray();
        Assert.Equal(PacketStatus.LengthMismatch, PacketDecoder.Decode(longer, out _, requireExactLength: true));
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(longer, out var header, requireExactLength: false));
        Assert.Equal(packet.Length, header.Size);
    }

    [Fact]
    public void HugeClaimedPayloadLengthIsAnOverflowNotAnException()
    {
        var packet = RefEncoder.Packet(56, [RefEncoder.Imm(56, 1, 1), RefEncoder.Imm(56, 3, 0), RefEncoder.Imm(56, 4, (1L << 56) - 1)], [1]);
        Assert.Equal(PacketStatus.PayloadOverflow, PacketDecoder.Decode(packet, out _));
        Assert.Equal(8 + 24 + (1L << 56) - 1, PacketDecoder.GetPacketSize(packet));
    }

    [Fact]
    public void ChecksPayloadAgainstHeapLength()
    {
        Assert.Equal(PacketStatus.PayloadBeyondHeap, PacketDecoder.Decode(RefEncoder.Packet(40, 1, 5, 2, [1, 2, 3, 4]), out _));
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(RefEncoder.Packet(40, 1, 6, 2, [1, 2, 3, 4]), out _));
    }

    [Fact]
    public void LaterSpecialOverridesEarlierOne()
    {
        var packet = RefEncoder.Packet(40, [RefEncoder.Imm(40, 1, 1), RefEncoder.Imm(40, 1, 2), RefEncoder.Imm(40, 3, 0), RefEncoder.Imm(40, 4, 0)], []);
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(packet, out var header));
        Assert.Equal(2, header.HeapCnt);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(40)]
    [InlineData(56)]
    public void TheUsualLeadingImmediatesAndAnyOtherOrderDecodeAlike(int hab)
    {
        // The four immediates first, in spead2's order (the decoder's shortcut), then an item pointer; and the same
        // pointers rotated so that the shortcut cannot apply.
        ulong[] usual = [RefEncoder.Imm(hab, 1, 7), RefEncoder.Imm(hab, 2, 10), RefEncoder.Imm(hab, 3, 4), RefEncoder.Imm(hab, 4, 3), RefEncoder.Addr(hab, 0x70, 0)];
        ulong[] rotated = [.. usual[3..], .. usual[..3]];
        byte[] payload = [1, 2, 3];
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(RefEncoder.Packet(hab, usual, payload), out var a, true));
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(RefEncoder.Packet(hab, rotated, payload), out var b, true));
        foreach (var h in new[] { a, b })
        {
            Assert.Equal((7L, 10L, 4L, 3, 1), (h.HeapCnt, h.HeapLength, h.PayloadOffset, h.PayloadLength, h.ItemPointerCount));
        }
    }

    [Fact]
    public void ADuplicateAfterTheUsualLeadingImmediatesStillOverrides()
    {
        var packet = RefEncoder.Packet(40, [RefEncoder.Imm(40, 1, 1), RefEncoder.Imm(40, 2, 2), RefEncoder.Imm(40, 3, 0), RefEncoder.Imm(40, 4, 0), RefEncoder.Imm(40, 1, 5)], []);
        Assert.Equal(PacketStatus.Ok, PacketDecoder.Decode(packet, out var header));
        Assert.Equal(5, header.HeapCnt);
        Assert.Equal(0, header.ItemPointerCount);
    }

    [Fact]
    public void AnItemPointerWithASpecialIdButNotImmediateIsNotTakenForIt()
    {
        // HEAP_CNT's ID in address mode first: the shortcut must not read it as the cnt.
        var packet = RefEncoder.Packet(40, [RefEncoder.Addr(40, 1, 0), RefEncoder.Imm(40, 2, 2), RefEncoder.Imm(40, 3, 0), RefEncoder.Imm(40, 4, 2)], [9, 9]);
        Assert.Equal(PacketStatus.MissingHeapCnt, PacketDecoder.Decode(packet, out _));
    }
}
