using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Tests.Support;

/// <summary>Drives the code under test: all packets of a heap, by the copying API or by the zero-copy API.</summary>
internal static class CorePackets
{
    /// <summary>
    /// Packets from <see cref="Packetizer.NextPacket(Span{byte})"/> into a buffer of exactly the rounded packet
    /// size (the documented minimum), filled with 0xEE first so that bytes the generator fails to write show up.
    /// </summary>
    public static List<byte[]> Generate(Heap heap, long cnt, int maxPacketSize)
    {
        var gen = new Packetizer(heap, cnt, maxPacketSize);
        var buffer = new byte[maxPacketSize & ~7];
        var packets = new List<byte[]>();
        while (gen.HasNextPacket)
        {
            buffer.AsSpan().Fill(0xEE);
            int n = gen.NextPacket(buffer);
            Assert.InRange(n, Packetizer.PrefixSize + 1, maxPacketSize & ~7);
            packets.Add(buffer.AsSpan(0, n).ToArray());
        }
        return packets;
    }

    /// <summary>Packets assembled from <see cref="Packetizer.NextPacketHeader"/> and the payload segments.</summary>
    public static List<byte[]> GenerateZeroCopy(Heap heap, long cnt, int maxPacketSize)
    {
        var gen = new Packetizer(heap, cnt, maxPacketSize);
        var header = new byte[(maxPacketSize & ~7) - 8];
        var packets = new List<byte[]>();
        while (gen.HasNextPacket)
        {
            header.AsSpan().Fill(0xEE);
            int headerLength = gen.NextPacketHeader(header, out int payloadLength);
            var packet = new List<byte>(header.AsSpan(0, headerLength).ToArray());
            int got = 0;
            while (gen.TryGetPayloadSegment(out var segment))
            {
                Assert.True(segment.Length > 0, "empty payload segment");
                var bytes = gen.GetSegmentBytes(segment);
                if (segment.IsPadding)
                {
                    Assert.True(bytes.IsEmpty, "padding segments have no bytes");
                    packet.AddRange(new byte[segment.Length]);
                }
                else
                {
                    Assert.Equal(segment.Length, bytes.Length);
                    packet.AddRange(bytes.ToArray());
                }
                got += segment.Length;
            }
            Assert.Equal(payloadLength, got);
            packets.Add(packet.ToArray());
        }
        return packets;
    }
}
