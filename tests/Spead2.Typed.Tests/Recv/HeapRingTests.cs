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

namespace Spead2.Tests.Recv;

/// <summary>The ring between readers and consumer: where the consumer's code runs, and that blocking in it cannot deadlock.</summary>
public class HeapRingTests
{
    [Fact]
    public async Task TheDeliveryThreadsSignalIsMadeForAWaitingReadAndClosedWhenTheRingEnds()
    {
        var ring = new HeapRing(4);
        Assert.False(ring.HasWakeSignal);   // nothing waited yet: no thread, no eventfd

        var read = ring.ReadAsync(CancellationToken.None);
        Assert.False(read.IsCompleted);
        Assert.True(ring.HasWakeSignal);

        ring.Complete(null);
        Assert.Null(await read.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        // The delivery thread closes the signal as it ends, without waiting for the garbage collector.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (ring.HasWakeSignal && DateTime.UtcNow < deadline)
            await Task.Delay(10);
        Assert.False(ring.HasWakeSignal);
        Assert.Null(await ring.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConsumerBlockingOnTheNextHeapInsideItsContinuationDoesNotDeadlock()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(reader.LocalEndPoint);

        // The heap is sent 200 ms after the read starts waiting, so the code after the await runs on the
        // delivery thread; should the machine be so slow that the await saw it complete already, the code
        // runs here instead and the round is repeated.
        for (int round = 0; ; round++)
        {
            var (first, second, thread) = await ReadTwoBlockingTheSecond(stream, socket, 2 * round + 1);
            Assert.Equal(2 * round + 1, first);
            Assert.Equal(2 * round + 2, second);
            if (thread == "spead2 recv delivery")
                break;
            Assert.True(round < 5, $"the continuation ran on {thread}, never on the delivery thread");
        }
    }

    /// <summary>
    /// Reads one heap that has to be waited for (so the code after the await runs on the delivery
    /// thread), then blocks that thread on the next heap (sync over async), sent a little later.
    /// </summary>
    private static async Task<(long First, long Second, string? Thread)> ReadTwoBlockingTheSecond(ReceiveStream stream, Socket socket, long cnt)
    {
        var pending = stream.ReadAsync();
        Assert.False(pending.IsCompleted);   // nothing sent yet
        _ = Task.Run(async () =>
        {
            await Task.Delay(200);
            socket.Send(Heap(40, cnt, [HeapItem.Imm(0x1001, 1)])[0]);
        });
        using var first = await pending.ConfigureAwait(false);
        string? thread = Thread.CurrentThread.Name;
        _ = Task.Run(async () =>
        {
            await Task.Delay(100);
            socket.Send(Heap(40, cnt + 1, [HeapItem.Imm(0x1001, 2)])[0]);
        });
        var next = stream.ReadAsync().AsTask();
        Assert.True(next.Wait(TimeSpan.FromSeconds(20)), "the delivery thread deadlocked on a read made from it");
        using var second = next.Result;
        return (first!.Cnt, second!.Cnt, thread);
    }

    [Fact]
    public async Task CancelledWaitEndsWithoutLosingTheNextHeap()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource();
        var cancelled = stream.ReadAsync(cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendTo(Heap(40, 7, [HeapItem.Imm(0x1001, 7)])[0], reader.LocalEndPoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var heap = await stream.ReadAsync(timeout.Token);
        Assert.Equal(7, heap!.Cnt);
    }
}
