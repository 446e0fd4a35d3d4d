using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Tests.Support;

/// <summary>Runs packets (usually from <see cref="Spead2.TestSupport.RefEncoder"/>) through the library's heap assembler.</summary>
internal static class ReceiveHelpers
{
    /// <summary>Feeds packets to an assembler, then stops it; returns every heap that came out.</summary>
    public static List<ReceivedHeap> Assemble(IEnumerable<byte[]> packets, ReceiveStreamConfig? config, out HeapAssembler assembler)
    {
        assembler = new HeapAssembler(config);
        var ready = new List<ReceivedHeap>();
        foreach (var p in packets)
            assembler.AddPacket(p, ready);
        assembler.Stop(ready);
        return ready;
    }

    public static List<ReceivedHeap> Assemble(IEnumerable<byte[]> packets, ReceiveStreamConfig? config = null) =>
        Assemble(packets, config, out _);

    /// <summary>Packetises one heap (1472-byte packets) and reassembles it, as a receiver would.</summary>
    public static ReceivedHeap RoundTrip(Heap heap)
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        var packets = new Packetizer(heap, 1, 1472);
        var buffer = new byte[1472];
        while (packets.HasNextPacket)
        {
            var n = packets.NextPacket(buffer);
            assembler.AddPacket(buffer.AsSpan(0, n), ready);
        }

        assembler.Flush(ready);
        return Assert.Single(ready);
    }
}
