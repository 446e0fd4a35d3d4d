using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Tests.Support;
using Spead2.TestSupport;
using static Spead2.Tests.Support.ReceiveHelpers;
using static Spead2.TestSupport.RefEncoder;

namespace Spead2.Tests.Recv;

public class ReceiveStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task StopWithoutReadersEndsTheEnumeration()
    {
        await using var stream = new ReceiveStream();
        stream.Stop();
        Assert.Null(await stream.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.True(stream.IsStopped);
        Assert.Throws<InvalidOperationException>(() => stream.AddBufferReader(new byte[8]));
    }

    [Fact]
    public async Task StopFlushesAContiguousUnsizedHeapFromAnIdleUdpReader()
    {
        await using var stream = new ReceiveStream();
        var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        foreach (var p in Heap(40, 5, [HeapItem.Addressed(0x1000, new byte[100])], chunk: 40, withHeapLength: false))
            socket.SendTo(p, reader.LocalEndPoint);
        // Wait until the packets have been taken in, then stop: the open heap is flushed.
        using var cts = new CancellationTokenSource(Timeout);
        while (stream.Statistics.Packets < 3)
            await Task.Delay(10, cts.Token);
        stream.Stop();
        var heaps = await RoundTripTests.Collect(stream).WaitAsync(Timeout);
        var heap = Assert.Single(heaps);
        Assert.Equal(100, heap.Items[0].Value.Length);
        Assert.Equal(1, stream.Statistics.IncompleteHeapsFlushed);
    }

    [Fact]
    public async Task DisposeDoesNotWaitForAConsumerThatStoppedReading()
    {
        var bytes = Concat(Enumerable.Range(1, 100).SelectMany(c => Heap(40, c, [HeapItem.Imm(0x1000, c)])));
        var stream = new ReceiveStream(new ReceiveStreamConfig { RingHeaps = 1 });
        stream.AddBufferReader(bytes);
        var first = await stream.ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.NotNull(first);
        await stream.DisposeAsync().AsTask().WaitAsync(Timeout);
        Assert.True(stream.Statistics.Heaps < 100);   // the reader was stopped part way
    }

    [Fact]
    public async Task ReadAsyncCancellationLeavesTheStreamRunning()
    {
        await using var stream = new ReceiveStream();
        using (var cts = new CancellationTokenSource(50))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(cts.Token).AsTask());
        Assert.False(stream.IsStopped);
        stream.AddBufferReader(Heap(40, 1, [HeapItem.Imm(0x1000, 1)])[0]);
        Assert.NotNull(await stream.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Null(await stream.ReadAsync().AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task StatisticsAreAlsoMetrics()
    {
        await using var stream = new ReceiveStream();
        // Each stream has a meter of its own, so these collectors see this stream's counters only, exactly.
        using var heaps = new MetricCollector<long>(stream.Meter, "spead2.recv.heaps");
        using var packets = new MetricCollector<long>(stream.Meter, "spead2.recv.packets");
        using var malformed = new MetricCollector<long>(stream.Meter, "spead2.recv.malformed_packets");
        using var bytes = new MetricCollector<long>(stream.Meter, "spead2.recv.bytes");

        stream.AddBufferReader(Concat(Heap(40, 1, [HeapItem.Imm(0x1000, 1)]).Concat([new byte[] { 1, 2, 3 }])));
        await RoundTripTests.Collect(stream).WaitAsync(Timeout);
        foreach (var c in new[] { heaps, packets, malformed, bytes })
            c.RecordObservableInstruments();
        Assert.Equal(1, heaps.LastMeasurement?.Value);
        Assert.Equal(1, packets.LastMeasurement?.Value);
        Assert.Equal(1, malformed.LastMeasurement?.Value);
        Assert.Equal(stream.Statistics.Bytes, bytes.LastMeasurement?.Value);
        Assert.Equal("Spead2.Recv", stream.Meter.Name);
        // Every measurement names the stream, all with the same tag value.
        Assert.Single(new[] { heaps, packets, malformed, bytes }.SelectMany(c => c.GetMeasurementSnapshot()).Select(m => m.Tags["spead2.stream"]).Distinct());
    }

    [Fact]
    public async Task SeveralReadersFeedOneStream()
    {
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { StopOnStopItem = false, RingHeaps = 16 });
        var queue = new InprocQueue();
        stream.AddInprocReader(queue);
        var udp = stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.SendTo(Heap(40, 1, [HeapItem.Imm(0x1000, 1)])[0], udp.LocalEndPoint);
        queue.AddPacket(Heap(40, 2, [HeapItem.Imm(0x1000, 2)])[0]);
        using var cts = new CancellationTokenSource(Timeout);
        var cnts = new List<long>();
        await foreach (var heap in stream.WithCancellation(cts.Token))
        {
            cnts.Add(heap.Cnt);
            if (cnts.Count == 2)
                queue.Stop();   // the end of the queue stops the whole stream, as in spead2
        }
        Assert.Equal([1L, 2], cnts.Order());
    }

    [Fact]
    public void ConfigValidates()
    {
        var config = new ReceiveStreamConfig();
        Assert.Throws<ArgumentOutOfRangeException>(() => config.MaxHeaps = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.MaxHeaps = ReceiveStreamConfig.MaxMaxHeaps + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.MaxHeapSize = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.MaxHeapSize = long.MaxValue);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.RingHeaps = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => config.BugCompat = (BugCompat)8);
        Assert.Equal(4, config.MaxHeaps);
        Assert.False(config.AllowOutOfOrder);
        Assert.True(config.AllowUnsizedHeaps);
        Assert.True(config.StopOnStopItem);

        // The stream keeps its own copy.
        config.MaxHeaps = 7;
        using var stream = new ReceiveStream(config);
        config.MaxHeaps = 9;
        Assert.Equal(7, stream.Config.MaxHeaps);
    }

    [Fact]
    public void TcpListenFailureIsAnIOException()
    {
        using var stream = new ReceiveStream();
        var first = stream.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        using var other = new ReceiveStream();
        Assert.Throws<IOException>(() => other.AddTcpReader(first.LocalEndPoint));
    }
}
