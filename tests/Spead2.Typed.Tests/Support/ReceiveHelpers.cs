using Spead2.Recv;

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
}
