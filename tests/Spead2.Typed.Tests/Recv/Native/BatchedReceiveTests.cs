using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Spead2.Recv;
using Spead2.Recv.Native;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv.Native;

/// <summary>
/// The receive paths themselves: which one a reader takes, GRO runs cut back into datagrams, the
/// OS's drops counted exactly, the memory pool, and the loss counters. The rest of the suite runs on
/// whichever path the environment selects (CI runs it twice, once with SPEAD2_PORTABLE_RECV=1).
/// </summary>
public partial class BatchedReceiveTests
{
    private static readonly bool PortableForced =
        Environment.GetEnvironmentVariable(UdpReader.PortableEnvironmentVariable) is "1" or "true" or "TRUE" or "True";

    private static bool BatchedExpected => OperatingSystem.IsLinux() && Environment.Is64BitProcess && !PortableForced;

    [Fact]
    public async Task ReaderTakesTheBatchedPathOnLinuxUnlessForcedPortable()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Equal(BatchedExpected, reader.IsBatched);
        if (!reader.IsBatched)
            Assert.False(reader.UsesGro);
    }

    [Theory]
    [InlineData(true, 9200, 4)]      // GRO: 64 KiB buffers
    [InlineData(true, 65507, 4)]     // GRO with the largest datagrams: one buffer each, still 4
    [InlineData(false, 9200, 28)]    // 9,201-byte buffers: 28 fit in 256 KiB
    [InlineData(false, 1472, 64)]    // small buffers: spead2's 64
    public void TheFirstCallAssumesFullBuffersWithinTheCacheBudget(bool gro, int maxPacketSize, int expected)
    {
        if (!BatchedExpected)
            return;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var batch = new UdpBatchReceiver((int)socket.SafeHandle.DangerousGetHandle(), maxPacketSize, gro);
        if (gro && !batch.UsesGro)
            return; // a kernel without UDP GRO: the buffers are one datagram each
        Assert.Equal(expected, batch.BatchSize);
    }

    [Theory]
    [InlineData(4 * 65536L, 4, 4)]        // runs merged by GRO: 64 KiB each
    [InlineData(4 * 8972L, 4, 29)]        // single 8972-byte datagrams in GRO-sized buffers
    [InlineData(64 * 1472L, 64, 64)]      // small datagrams: spead2's 64
    [InlineData(3 * 100_000L, 3, 4)]      // never fewer than 4
    [InlineData(0L, 1, 64)]               // empty datagrams
    public void LaterCallsTakeAsManyMessagesAsTheLastCallsAverageFitsInTheBudget(long bytes, int messages, int expected)
    {
        Assert.Equal(expected, UdpBatchReceiver.NextBatchSize(bytes, messages));
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMsg(int fd, LinuxRecvInterop.MsgHdr* message, int flags);

    /// <summary>Sends equal-size datagrams as one UDP_SEGMENT (GSO) message, which loopback hands to a GRO socket whole.</summary>
    private static unsafe void SendMerged(Socket socket, IReadOnlyList<byte[]> datagrams)
    {
        var data = Concat(datagrams);
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        var header = (LinuxRecvInterop.CMsgHdr*)control;
        header->Length = 18;   // CMSG_LEN(sizeof(uint16))
        header->Level = LinuxRecvInterop.SolUdp;
        header->Type = 103;    // UDP_SEGMENT
        *(ushort*)(control + sizeof(LinuxRecvInterop.CMsgHdr)) = (ushort)datagrams[0].Length;
        fixed (byte* bytes = data)
        {
            var iov = new LinuxRecvInterop.IoVec { Base = bytes, Length = (nuint)data.Length };
            var message = new LinuxRecvInterop.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
            nint sent = SendMsg((int)socket.SafeHandle.DangerousGetHandle(), &message, 0);
            Assert.True(sent == data.Length, $"sendmsg with UDP_SEGMENT returned {sent}, errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [Fact]
    public async Task GroRunsAreCutBackIntoTheirDatagrams()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        if (!reader.UsesGro)
        {
            Assert.False(BatchedExpected && Environment.OSVersion.Version.Major >= 5, "Linux 5.0+ offers UDP GRO, but the reader did not get it");
            return;
        }
        var payload = Enumerable.Range(0, 40 * 1000).Select(i => (byte)(i * 7)).ToArray();
        // The first packet carries the item pointer and is longer; the other 39 have equal sizes and go
        // out as one merged message (the last one too: 40,000 bytes in chunks of 1,000).
        var packets = Heap(40, 9, [HeapItem.Addressed(0x1000, payload)], chunk: 1000);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(reader.LocalEndPoint);
        socket.Send(packets[0]);
        SendMerged(socket, packets.Skip(1).Take(20).ToList());
        SendMerged(socket, packets.Skip(21).ToList());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var heap = await stream.ReadAsync(cts.Token);
        Assert.NotNull(heap);
        using (heap)
        {
            Assert.True(heap.IsComplete);
            Assert.True(heap.TryGetItem(0x1000, out var item));
            Assert.Equal(payload, item.Value.ToArray());
        }
        Assert.Equal(40, stream.Statistics.Packets);
        Assert.True(reader.MergedMessages >= 1, "no message held a merged run: the GRO split was not exercised");
    }

    [Fact]
    public async Task DatagramsTheOsDropsAreCountedExactly()
    {
        // A tiny ring and socket buffer and nobody reading: the reader blocks on the ring, the socket
        // buffer fills, the OS drops. Every datagram is a whole heap, so heaps + drops must equal sent.
        var config = new ReceiveStreamConfig { RingHeaps = 1 };
        await using var stream = new ReceiveStream(config);
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), bufferSize: 4096);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(reader.LocalEndPoint);
        const int sent = 2000;
        for (int cnt = 1; cnt <= sent; cnt++)
            socket.Send(Heap(40, cnt, [HeapItem.Addressed(0x1000, new byte[1000])], chunk: 1000)[0]);

        int received = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var s = stream.Statistics;
            if (reader.IsBatched ? received + s.KernelDroppedPackets == sent : s.Packets == received && received > 0)
            {
                // Portable path: the OS does not say, so only wait until what arrived has been read.
                await Task.Delay(200, cts.Token);
                if (stream.Statistics.Packets == received)
                    break;
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            try
            {
                using var heap = await stream.ReadAsync(wait.Token);
                received++;
            }
            catch (OperationCanceledException) when (!cts.IsCancellationRequested)
            {
                // Nothing more for now: look at the counters again.
            }
        }
        var stats = stream.Statistics;
        Assert.Equal(received, stats.Heaps);
        Assert.Equal(received, stats.Packets);
        if (reader.IsBatched)
        {
            Assert.True(stats.KernelDroppedPackets > 0, "a 4 KiB buffer and 2000 datagrams unread should overflow");
            Assert.Equal(sent, stats.Heaps + stats.KernelDroppedPackets);
        }
        else
        {
            Assert.Equal(0, stats.KernelDroppedPackets);
            Assert.True(received < sent);
        }
    }

    [Fact]
    public void DisposedHeapsGiveTheirMemoryBackToTheReceiver()
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        foreach (var p in Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[5000])], chunk: 1000))
            assembler.AddPacket(p, ready);
        var first = Assert.Single(ready);
        ready.Clear();
        Assert.Equal(0, assembler.Pool.FreeBuffers);
        first.Dispose();
        Assert.Equal(1, assembler.Pool.FreeBuffers);
        Assert.Empty(first.Items);

        // The next heap of the same shape reuses both the buffer and the object.
        foreach (var p in Heap(40, 2, [HeapItem.Addressed(0x1000, Enumerable.Repeat((byte)9, 5000).ToArray())], chunk: 1000))
            assembler.AddPacket(p, ready);
        var second = Assert.Single(ready);
        Assert.Same(first, second);
        Assert.Equal(0, assembler.Pool.FreeBuffers);
        Assert.Equal(2, second.Cnt);
        Assert.True(second.TryGetItem(0x1000, out var item));
        Assert.All(item.Value.ToArray(), b => Assert.Equal(9, b));
        second.Dispose();
        second.Dispose();   // a second Dispose before reuse changes nothing
        Assert.Equal(1, assembler.Pool.FreeBuffers);
    }

    [Fact]
    public void EveryRejectionIsCountedUnderItsReason()
    {
        var assembler = new HeapAssembler(new ReceiveStreamConfig { MaxHeapSize = 10_000, AllowUnsizedHeaps = false });
        var ready = new List<ReceivedHeap>();
        var data = new byte[100];
        // Out of order: heap 1's second packet is lost, so its third cannot continue it; heap 2 starts
        // without its first packet.
        assembler.AddPacket(Packet(40, 1, 300, 0, data), ready);
        assembler.AddPacket(Packet(40, 1, 300, 200, data), ready);
        assembler.AddPacket(Packet(40, 2, 300, 100, data), ready);
        // Inconsistent: heap 3 changes its HEAP_LENGTH.
        assembler.AddPacket(Packet(40, 3, 300, 0, data), ready);
        assembler.AddPacket(Packet(40, 3, 400, 100, data), ready);
        // Over the limits: a 20,000-byte heap.
        assembler.AddPacket(Packet(40, 4, 20_000, 0, data), ready);
        // Unsized while unsized heaps are refused.
        assembler.AddPacket(Packet(40, 5, -1, 0, data), ready);

        var s = assembler.Statistics;
        Assert.Equal(2, s.RejectedOutOfOrder);
        Assert.Equal(1, s.RejectedInconsistent);
        Assert.Equal(1, s.RejectedOverLimits);
        Assert.Equal(1, s.RejectedUnsized);
        Assert.Equal(0, s.RejectedDuplicates);
        Assert.Equal(s.RejectedOutOfOrder + s.RejectedDuplicates + s.RejectedInconsistent + s.RejectedOverLimits + s.RejectedUnsized, s.RejectedPackets);

        var outOfOrder = new HeapAssembler(new ReceiveStreamConfig { AllowOutOfOrder = true });
        outOfOrder.AddPacket(Packet(40, 1, 300, 100, data), ready);
        outOfOrder.AddPacket(Packet(40, 1, 300, 100, data), ready);
        Assert.Equal(1, outOfOrder.Statistics.RejectedDuplicates);
        Assert.Equal(1, outOfOrder.Statistics.RejectedPackets);
    }

    [Fact]
    public void IncompleteHeapsSayWhetherTheyWereEvictedOrFlushed()
    {
        var assembler = new HeapAssembler(new ReceiveStreamConfig { MaxHeaps = 1, DeliverIncompleteHeaps = true });
        var ready = new List<ReceivedHeap>();
        var data = new byte[100];
        assembler.AddPacket(Packet(40, 1, 200, 0, data, Imm(40, 0x1001, 5)), ready);
        assembler.AddPacket(Packet(40, 2, 200, 0, data, Imm(40, 0x1001, 6)), ready);   // evicts heap 1
        var evicted = Assert.Single(ready);
        Assert.Equal(HeapIncompleteReason.Evicted, evicted.IncompleteReason);
        Assert.False(evicted.IsComplete);
        ready.Clear();
        assembler.AddPacket(Packet(40, 2, 200, 100, data), ready);   // heap 2 completes
        Assert.Equal(HeapIncompleteReason.None, Assert.Single(ready).IncompleteReason);
        ready.Clear();
        assembler.AddPacket(Packet(40, 3, 200, 0, data), ready);
        assembler.Stop(ready);
        Assert.Equal(HeapIncompleteReason.Flushed, Assert.Single(ready).IncompleteReason);
        var s = assembler.Statistics;
        Assert.Equal(2, s.IncompleteHeaps);
        Assert.Equal(1, s.IncompleteHeapsEvicted);
        Assert.Equal(1, s.IncompleteHeapsFlushed);
    }

    [Fact]
    public async Task ClippedBufferWarningNamesTheSysctlAndWhatWasGranted()
    {
        var logger = new FakeLoggerProvider();
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { LoggerFactory = new LoggerFactory([logger]) });
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), bufferSize: 1 << 30);
        string warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Message.Contains("socket buffer")).Message;
        Assert.Contains("net.core.rmem_max", warning);
        int granted = OperatingSystem.IsLinux() ? reader.ReceiveBufferSize / 2 : reader.ReceiveBufferSize;
        Assert.Contains($"granted only {granted} bytes", warning);

        // A request the OS grants in full is not warned about.
        var quiet = new FakeLoggerProvider();
        await using var small = new ReceiveStream(new ReceiveStreamConfig { LoggerFactory = new LoggerFactory([quiet]) });
        small.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0), bufferSize: 64 * 1024);
        Assert.DoesNotContain(quiet.Collector.GetSnapshot(), r => r.Message.Contains("socket buffer"));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Receive allocation (alone: it counts every thread's bytes)";
}

/// <summary>The whole receiver in steady state, counted across all threads; runs alone.</summary>
[Collection(AllocationCollection.Name)]
public class ReceiveAllocationTests
{
    [Fact]
    public async Task SteadyReceiveOverUdpAllocatesNothingPerHeap()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(reader.LocalEndPoint);
        var payload = new byte[16 * 1000];
        var heaps = Enumerable.Range(1, 400).Select(c => Heap(40, c, [HeapItem.Addressed(0x1000, payload), HeapItem.Imm(0x1001, c)], chunk: 1000)).ToList();
        var enumerator = stream.GetAsyncEnumerator();
        // A watchdog instead of a timeout per heap (a per-await timeout allocates): stopping the
        // stream ends the enumeration, which fails the pass.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var watchdog = cts.Token.Register(stream.Stop);

        async Task<long> Pass(int from, int to)
        {
            long start = GC.GetTotalAllocatedBytes(precise: true);
            for (int h = from; h < to; h++)
            {
                foreach (var p in heaps[h])
                    socket.Send(p);
                if (!await enumerator.MoveNextAsync())
                    throw new TimeoutException($"heap {h + 1} never came");
                var heap = enumerator.Current;
                if (heap.Cnt != h + 1)
                    throw new InvalidOperationException($"heap {heap.Cnt} instead of {h + 1}");
                heap.Dispose();
            }
            return GC.GetTotalAllocatedBytes(precise: true) - start;
        }

        await Pass(0, 100);   // warm-up: pool, JIT, first thread-pool work items
        // Whole-process bytes (every thread: reader, thread pool, this one), so the best of three
        // passes: a runtime timer or tiering on a loaded machine may add a few hundred bytes once, a
        // per-heap allocation of even 24 bytes adds 2,400 to every pass.
        long best = long.MaxValue;
        for (int pass = 0; pass < 3; pass++)
            best = Math.Min(best, await Pass(100 + pass * 100, 200 + pass * 100));
        Assert.True(best < 100 * 8, $"{best} bytes for 100 heaps");
        await enumerator.DisposeAsync();
    }
}
