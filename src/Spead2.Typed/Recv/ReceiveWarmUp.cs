using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Spead2.Recv;

/// <summary>
/// Compiles the receive path before the first socket opens. Without this the first datagrams of a stream wait while
/// the JIT compiles a dozen methods (tens of milliseconds), and at 10 Gb/s a 4 MiB socket buffer fills in about
/// 3 ms: the first heaps are lost. The methods run per packet or per heap are marked
/// <see cref="MethodImplOptions.AggressiveOptimization"/>: compiled once, optimised, here, and never recompiled by
/// tiered compilation when the first heaps arrive, which would compete with the receive thread for the CPU just
/// then. Done once per process.
/// </summary>
internal static class ReceiveWarmUp
{
    private static int s_done;

    public static void EnsureDone()
    {
        if (Interlocked.Exchange(ref s_done, 1) != 0)
            return;
        // A two-packet heap through a private assembler: decoding, assembly, the pool, freezing and
        // disposal all run once.
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>(2);
        for (int offset = 0; offset < 2; offset++)
        {
            var packet = new byte[8 + 8 * 5 + 1];
            BinaryPrimitives.WriteUInt64BigEndian(packet, 0x5304_0305_0000_0005UL);
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(8), 0x8000_0100_0000_0001UL);       // HEAP_CNT 1
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(16), 0x8000_0200_0000_0002UL);      // HEAP_LENGTH 2
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(24), 0x8000_0300_0000_0000UL | (uint)offset);
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(32), 0x8000_0400_0000_0001UL);      // PAYLOAD_LENGTH 1
            BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(40), 0x0010_0000_0000_0000UL);      // item 0x1000 at 0
            assembler.AddPacket(packet, ready);
        }
        foreach (var heap in ready)
            heap.Dispose();
        // The reader-side methods that need a socket, a ring or a consumer to run.
        foreach (var (type, name) in PreparedMethods)
            Prepare(type, name);
    }

    /// <summary>
    /// Methods of the receive path that the two-packet heap above does not run: compiled here by name. Each is marked
    /// <see cref="MethodImplOptions.AggressiveOptimization"/> (a test checks), so this compiles its only version.
    /// </summary>
    internal static readonly (Type Type, string Name)[] PreparedMethods =
    [
        (typeof(ReceiveStream), "AddDatagrams"),
        (typeof(ReceiveStream), "AddDatagram"),
        (typeof(ReceiveStream), "DeliverBlocking"),
        (typeof(ReceiveStream), "DeliverToCallback"),
        (typeof(ReceiveStream), "Frame"),
        (typeof(ReceiveStream), "CountKernelDrops"),
        (typeof(ReceiveStream), "CountKernelDropsLocked"),
        (typeof(HeapRing), "TryWrite"),
        (typeof(HeapRing), "ReadAsync"),
        (typeof(HeapRing), "DequeueLocked"),
        (typeof(HeapRing), "StartDeliveryLocked"),
        (typeof(HeapRing), "Recycle"),
        (typeof(Native.WakeSignal), "Set"),
        (typeof(Native.WakeSignal), "Wait"),
        (typeof(Native.UdpBatchReceiver), "Receive"),
        (typeof(Native.UdpBatchReceiver), "GetMessage"),
        (typeof(Native.UdpBatchReceiver), "FindInt"),
        (typeof(Native.UdpBatchReceiver), "ReadDrops"),
        (typeof(Native.UdpBatchReceiver), "RefreshDrops"),
        (typeof(Native.UdpBatchReceiver), "WaitReadable"),
        (typeof(PacketFramer), "Process"),
    ];

    private static void Prepare(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type type,
        string name)
    {
        var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static);
        if (method is not null)
            RuntimeHelpers.PrepareMethod(method.MethodHandle);
    }
}
