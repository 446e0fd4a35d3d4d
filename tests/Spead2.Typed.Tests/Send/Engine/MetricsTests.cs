using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send.Engine;

/// <summary>Tests that a meter listener could disturb (allocation counts) run apart from it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "Meters";
}

[Collection(MetricsCollection.Name)]
public class MetricsTests
{
    [Fact]
    public async Task WithoutAMeterFactoryTheSharedMeterCountsEachStreamUnderItsName()
    {
        // No factory: the library's own meter, shared by every stream of the process (other tests' too). Its
        // measurements are told apart by the stream tag, so this stream's counts are still exact.
        const string name = "shared-meter-exact";
        using var heaps = new MetricCollector<long>(null, "Spead2.Send", "spead2.send.heaps");
        using var packets = new MetricCollector<long>(null, "Spead2.Send", "spead2.send.packets");
        using var bytes = new MetricCollector<long>(null, "Spead2.Send", "spead2.send.bytes");
        using var dropped = new MetricCollector<long>(null, "Spead2.Send", "spead2.send.heaps_dropped");
        long Mine(MetricCollector<long> c) =>
            c.GetMeasurementSnapshot().Where(m => Equals(m.Tags["spead2.stream"], name)).Sum(m => m.Value);

        var transport = new TestTransport { Gated = true };
        var config = new StreamConfig { MaxHeaps = 1, StreamName = name };
        var stream = new TestStream(transport, config);
        var heap = TestHeaps.HeapOf(4000, 1);
        ValueTask<long> a = stream.SendHeapAsync(heap);
        transport.WaitForEntry();
        ValueTask<long> refused = stream.SendHeapAsync(TestHeaps.HeapOf(10, 2));
        Assert.True(refused.IsFaulted);
        transport.Release(10);
        long sent = await a;
        await stream.DisposeAsync();

        Assert.Equal(1, Mine(heaps));
        Assert.Equal(3, transport.Packets.Count);   // 4000 bytes in packets of at most 1472
        Assert.Equal(transport.Packets.Count, Mine(packets));
        Assert.Equal(sent, Mine(bytes));
        Assert.Equal(1, Mine(dropped));
    }

    [Fact]
    public async Task CountersThroughTheConfiguredMeterFactoryAreExactAndNameTheStream()
    {
        using var meters = new TestMeterFactory();
        using var heaps = new MetricCollector<long>(meters, "Spead2.Send", "spead2.send.heaps");
        using var packets = new MetricCollector<long>(meters, "Spead2.Send", "spead2.send.packets");
        using var bytes = new MetricCollector<long>(meters, "Spead2.Send", "spead2.send.bytes");
        using var errors = new MetricCollector<long>(meters, "Spead2.Send", "spead2.send.packet_errors");
        using var dropped = new MetricCollector<long>(meters, "Spead2.Send", "spead2.send.heaps_dropped");

        var transport = new TestTransport { Gated = true };
        var config = new StreamConfig { MaxHeaps = 1, MeterFactory = meters, StreamName = "exact" };
        var stream = new TestStream(transport, config);
        var heap = TestHeaps.HeapOf(4000, 1);
        ValueTask<long> a = stream.SendHeapAsync(heap);
        transport.WaitForEntry();
        ValueTask<long> refused = stream.SendHeapAsync(TestHeaps.HeapOf(10, 2));
        Assert.True(refused.IsFaulted);
        transport.Release(10);
        long sent = await a;
        await stream.DisposeAsync();

        // The packets of the heap, counted by packetizing it the way the stream does.
        int expectedPackets = 0;
        var packetizer = new Packetizer(heap, 1, config.MaxPacketSize);
        var buffer = new byte[config.MaxPacketSize];
        while (packetizer.HasNextPacket)
        {
            packetizer.NextPacket(buffer);
            expectedPackets++;
        }
        Assert.True(expectedPackets >= 3);
        Assert.Equal(1, heaps.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(expectedPackets, packets.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(sent, bytes.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(0, errors.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(1, dropped.GetMeasurementSnapshot().EvaluateAsCounter());
        foreach (var collector in new[] { heaps, packets, bytes, dropped })
        {
            Assert.All(collector.GetMeasurementSnapshot(), m => Assert.Equal("exact", m.Tags["spead2.stream"]));
        }
    }
}
