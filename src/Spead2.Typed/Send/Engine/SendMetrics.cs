using System.Diagnostics.Metrics;

namespace Spead2.Send.Engine;

/// <summary>
/// The counters of one send stream, on the meter <c>Spead2.Send</c>: created through the stream's
/// <see cref="StreamConfig.MeterFactory"/>, or on a meter the library owns when there is none. Every measurement
/// carries the tag <c>spead2.stream</c> (<see cref="StreamConfig.StreamName"/>, or a number unique in the process),
/// so that streams can be told apart and a test can count one stream's measurements exactly. They are updated once
/// per batch of packets, not per packet, so they cost nothing measurable when nobody listens.
/// </summary>
internal sealed class SendMetrics
{
    public const string MeterName = "Spead2.Send";

    /// <summary>The tag that names the stream on every measurement (the same on the receive side).</summary>
    public const string StreamTag = "spead2.stream";

    // Used when the configuration has no meter factory; lives as long as the process, like the instruments on it.
    private static readonly Meter s_sharedMeter = new(MeterName);
    private static long s_streamCount;

    public SendMetrics(IMeterFactory? factory, string? streamName)
    {
        Meter meter = factory?.Create(new MeterOptions(MeterName)) ?? s_sharedMeter;
        // The tag's value is boxed here, once per stream, never per measurement.
        var tag = new KeyValuePair<string, object?>(StreamTag, streamName ?? (object)Interlocked.Increment(ref s_streamCount));
        Heaps = new(meter.CreateCounter<long>("spead2.send.heaps", "{heap}", "Heaps completed by send streams"), tag);
        Packets = new(meter.CreateCounter<long>("spead2.send.packets", "{packet}", "Packets sent"), tag);
        Bytes = new(meter.CreateCounter<long>("spead2.send.bytes", "By", "SPEAD bytes sent"), tag);
        PacketErrors = new(meter.CreateCounter<long>("spead2.send.packet_errors", "{packet}", "Packets that failed to send"), tag);
        HeapsDropped = new(meter.CreateCounter<long>("spead2.send.heaps_dropped", "{heap}", "Heaps dropped because the queue was full"), tag);
    }

    /// <summary>Heaps whose packets have all been handed to the transport (successfully or not).</summary>
    public TaggedCounter Heaps { get; }

    /// <summary>Packets the transport accepted.</summary>
    public TaggedCounter Packets { get; }

    /// <summary>SPEAD bytes (whole packets) the transport accepted.</summary>
    public TaggedCounter Bytes { get; }

    /// <summary>Packets the transport failed to send.</summary>
    public TaggedCounter PacketErrors { get; }

    /// <summary>Heaps rejected because the queue was full.</summary>
    public TaggedCounter HeapsDropped { get; }

    /// <summary>A counter that adds every measurement with the stream's tag.</summary>
    internal readonly struct TaggedCounter(Counter<long> counter, KeyValuePair<string, object?> tag)
    {
        public void Add(long delta)
        {
            // Asked first: with nobody listening, the measurement is not even built (three counters a batch).
            if (counter.Enabled)
            {
                counter.Add(delta, tag);
            }
        }
    }
}
