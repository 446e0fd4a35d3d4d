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

/// <summary>The meter publishes every counter of <see cref="ReceiveStatistics"/>.</summary>
public class ReceiveMetricsTests
{
    [Fact]
    public async Task EveryStatisticIsAMetricAndRejectionsCarryTheirReason()
    {
        await using var stream = new ReceiveStream();
        static string InstrumentName(string property) =>
            "spead2.recv." + string.Concat(property.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        // The stream's own meter: the collectors see exactly this stream's counters.
        var collectors = typeof(ReceiveStatistics).GetProperties()
            .Where(p => !p.Name.StartsWith("Rejected", StringComparison.Ordinal) || p.Name == "RejectedPackets")   // the rest are published by reason
            .ToDictionary(p => p.Name, p => new MetricCollector<long>(stream.Meter, InstrumentName(p.Name)));
        using var byReason = new MetricCollector<long>(stream.Meter, "spead2.recv.rejected_packets_by_reason");

        // Heap 1 loses the packet at offset 100, so the one at 200 is refused (out of order).
        var data = new byte[100];
        stream.AddBufferReader(Concat([Packet(40, 1, 300, 0, data), Packet(40, 1, 300, 200, data)]));
        await RoundTripTests.Collect(stream).WaitAsync(TimeSpan.FromSeconds(20));
        byReason.RecordObservableInstruments();
        var values = new Dictionary<string, long>();
        foreach (var (property, collector) in collectors)
        {
            using (collector)
            {
                collector.RecordObservableInstruments();
                Assert.True(collector.LastMeasurement is not null, $"no instrument {InstrumentName(property)} for ReceiveStatistics.{property}");
                values[property] = collector.LastMeasurement!.Value;
            }
            Assert.Equal(Convert.ToInt64(typeof(ReceiveStatistics).GetProperty(property)!.GetValue(stream.Statistics), System.Globalization.CultureInfo.InvariantCulture),
                values[property]);
        }
        Assert.Equal(1, values["RejectedPackets"]);
        // One observation per reason (the last recording), tagged with it.
        var reasons = byReason.GetMeasurementSnapshot().ToDictionary(m => (string)m.Tags["spead2.recv.reason"]!, m => m.Value);
        Assert.Equal(1, reasons["out_of_order"]);
        Assert.Equal(1, reasons.Values.Sum());
        Assert.Equal(["duplicate", "inconsistent", "out_of_order", "over_limits", "unsized"], reasons.Keys.Order());
    }

    [Fact]
    public async Task CountersThroughTheConfiguredMeterFactoryAreExactAndNameTheStream()
    {
        using var meters = new TestMeterFactory();
        using var heaps = new MetricCollector<long>(meters, "Spead2.Recv", "spead2.recv.heaps");
        using var packets = new MetricCollector<long>(meters, "Spead2.Recv", "spead2.recv.packets");
        using var malformed = new MetricCollector<long>(meters, "Spead2.Recv", "spead2.recv.malformed_packets");
        await using var stream = new ReceiveStream(new ReceiveStreamConfig { MeterFactory = meters, StreamName = "exact" });

        // Two whole heaps of two packets each, then three bytes that are no packet.
        stream.AddBufferReader(Concat(
            Heap(40, 1, [HeapItem.Addressed(0x1000, new byte[150])], chunk: 100)
                .Concat(Heap(40, 2, [HeapItem.Addressed(0x1000, new byte[150])], chunk: 100))
                .Concat([new byte[] { 1, 2, 3 }])));
        await RoundTripTests.Collect(stream).WaitAsync(TimeSpan.FromSeconds(20));

        foreach (var collector in new[] { heaps, packets, malformed })
            collector.RecordObservableInstruments();
        Assert.Equal(2, heaps.LastMeasurement!.Value);
        Assert.Equal(4, packets.LastMeasurement!.Value);
        Assert.Equal(1, malformed.LastMeasurement!.Value);
        foreach (var collector in new[] { heaps, packets, malformed })
            Assert.Equal("exact", collector.LastMeasurement!.Tags["spead2.stream"]);
    }
}
