using System.Diagnostics.Metrics;

namespace Spead2.Send.Engine;

/// <summary>
/// Counters of every send stream in the process, on the meter <c>Spead2.Send</c>. They are updated once per batch
/// of packets, not per packet, and without tags, so they cost nothing measurable when nobody listens.
/// </summary>
internal static class SendMetrics
{
    public const string MeterName = "Spead2.Send";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Heaps whose packets have all been handed to the transport (successfully or not).</summary>
    public static readonly Counter<long> Heaps = Meter.CreateCounter<long>("spead2.send.heaps", "{heap}", "Heaps completed by send streams");

    /// <summary>Packets the transport accepted.</summary>
    public static readonly Counter<long> Packets = Meter.CreateCounter<long>("spead2.send.packets", "{packet}", "Packets sent");

    /// <summary>SPEAD bytes (whole packets) the transport accepted.</summary>
    public static readonly Counter<long> Bytes = Meter.CreateCounter<long>("spead2.send.bytes", "By", "SPEAD bytes sent");

    /// <summary>Packets the transport failed to send.</summary>
    public static readonly Counter<long> PacketErrors = Meter.CreateCounter<long>("spead2.send.packet_errors", "{packet}", "Packets that failed to send");

    /// <summary>Heaps rejected because the queue was full.</summary>
    public static readonly Counter<long> HeapsDropped = Meter.CreateCounter<long>("spead2.send.heaps_dropped", "{heap}", "Heaps dropped because the queue was full");
}
