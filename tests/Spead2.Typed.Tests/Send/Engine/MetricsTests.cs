using System.Diagnostics.Metrics;
using Spead2.Tests.Support;
using Spead2.Send;

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
        ValueTask<long> a = stream.SendHeapAsync(TestHeaps.HeapOf(4000, 1));
        transport.WaitForEntry();
        ValueTask<long> dropped = stream.SendHeapAsync(TestHeaps.HeapOf(10, 2));
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
}
