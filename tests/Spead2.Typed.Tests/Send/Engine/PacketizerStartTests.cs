using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Engine;

/// <summary>
/// <see cref="Packetizer.Start"/>, which a queue slot uses to set up its generator in place: a generator started
/// over (half-way through another heap, with other sizes and flags) writes exactly what a new one writes, and a start
/// with a bad argument leaves the generator as it was.
/// </summary>
public class PacketizerStartTests
{
    private static List<byte[]> Drain(ref Packetizer gen)
    {
        var buffer = new byte[gen.PacketSize];
        var packets = new List<byte[]>();
        while (gen.HasNextPacket)
        {
            buffer.AsSpan().Fill(0xEE);
            int n = gen.NextPacket(buffer);
            packets.Add(buffer.AsSpan(0, n).ToArray());
        }
        return packets;
    }

    [Fact]
    public void AGeneratorStartedOverHalfWayThroughAHeapWritesWhatANewOneWrites()
    {
        // The first heap has several packets, repeated pointers and no padding; the second is a single packet that
        // needs the NULL pointer and padding: every field Start sets must be reset, not left from the first.
        var first = new Heap { RepeatPointers = true };
        first.AddItem(0x1000, TestHeaps.Pattern(5000, 1));
        first.AddItem(0x1001, TestHeaps.Pattern(3, 2));
        var second = new Heap();
        second.AddItem(0x2000, new byte[] { 1, 2, 3 });
        second.AddItem(0x2001, TestHeaps.Pattern(700, 3));

        var gen = new Packetizer(first, 7, 1472);
        var buffer = new byte[1472];
        gen.NextPacket(buffer);
        gen.NextPacket(buffer);
        Assert.True(gen.HasNextPacket);

        gen.Start(second, 8, 9000);
        List<byte[]> restarted = Drain(ref gen);

        Assert.Equal(CorePackets.Generate(second, 8, 9000), restarted);
        Assert.Equal(9000 & ~7, gen.PacketSize);
        Assert.Equal(8, gen.Cnt);
    }

    [Fact]
    public void AStartWithABadArgumentLeavesTheGeneratorAsItWas()
    {
        var heap = TestHeaps.HeapOf(4000, 5);
        var gen = new Packetizer(heap, 3, 1472);
        var buffer = new byte[1472];
        gen.NextPacket(buffer);

        var other = TestHeaps.HeapOf(100, 6);
        var tooSmall = Assert.Throws<ArgumentOutOfRangeException>(() => gen.Start(other, 4, 40));
        Assert.Equal("maxPacketSize", tooSmall.ParamName);
        var badCnt = Assert.Throws<ArgumentOutOfRangeException>(() => gen.Start(other, -1, 1472));
        Assert.Equal("cnt", badCnt.ParamName);

        // Still the first heap, from its second packet on.
        Assert.Equal(3, gen.Cnt);
        Assert.Equal(CorePackets.Generate(heap, 3, 1472).Skip(1), Drain(ref gen));
    }
}
