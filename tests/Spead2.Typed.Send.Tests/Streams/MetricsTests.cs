using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Spead2.Send.Engine;
using Spead2.Send.Tests.Support;

namespace Spead2.Send.Tests.Streams;

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
    public async Task CountersReportHeapsPacketsBytesAndDrops()
    {
        var totals = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Spead2.Send")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        var transport = new TestTransport { Gated = true };
        // Other tests run in parallel and also count; only this stream's thread-local view is reliable, so the
        // listener filters by the measurements taken while this test's writer is the only one holding the gate.
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            if (Thread.CurrentThread.Name == "Spead2 TestStream writer" || instrument.Name == "spead2.send.heaps_dropped")
            {
                lock (totals)
                {
                    totals[instrument.Name] = totals.GetValueOrDefault(instrument.Name) + value;
                }
            }
        });
        listener.Start();

        var stream = new TestStream(transport, new StreamConfig { MaxHeaps = 1 });
        ValueTask<long> a = stream.SendHeapAsync(SpeadWire.HeapOf(4000, 1));
        transport.WaitForEntry();
        ValueTask<long> dropped = stream.SendHeapAsync(SpeadWire.HeapOf(10, 2));
        Assert.True(dropped.IsFaulted);
        transport.Release(10);
        long bytes = await a;
        await stream.DisposeAsync();
        listener.Dispose();

        lock (totals)
        {
            Assert.True(totals.GetValueOrDefault("spead2.send.heaps") >= 1);
            Assert.True(totals.GetValueOrDefault("spead2.send.packets") >= 3);
            Assert.True(totals.GetValueOrDefault("spead2.send.bytes") >= bytes);
            Assert.True(totals.GetValueOrDefault("spead2.send.heaps_dropped") >= 1);
        }
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
        var heap = SpeadWire.HeapOf(4000, 1);
        ValueTask<long> a = stream.SendHeapAsync(heap);
        transport.WaitForEntry();
        ValueTask<long> refused = stream.SendHeapAsync(SpeadWire.HeapOf(10, 2));
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
