using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Spead2.Cli.Bench;

/// <summary>
/// Listens to one stream's send counters (meter <c>Spead2.Send</c>, updated once per batch handed to the transport,
/// on the stream's writer thread): running totals of packets and bytes, and on request the time and size of every
/// batch, from which the pacing benchmark tells how the bytes were spread over time. The stream is the one whose
/// StreamConfig.StreamName is <see cref="StreamName"/>: its measurements carry that name in the <c>spead2.stream</c>
/// tag, so other streams in the process do not count.
/// </summary>
internal sealed class SendMeter : IDisposable
{
    private const string MeterName = "Spead2.Send";
    private const string PacketsInstrument = "spead2.send.packets";
    private const string BytesInstrument = "spead2.send.bytes";
    private const string StreamTag = "spead2.stream";
    private static int s_meters;

    private readonly MeterListener _listener = new();
    private long _packets;
    private long _bytes;
    private volatile Recording? _recording;

    public SendMeter()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name is PacketsInstrument or BytesInstrument)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>The StreamConfig.StreamName of the stream to count, unique in the process.</summary>
    public string StreamName { get; } = $"spead2-typed bench {Interlocked.Increment(ref s_meters)}";

    /// <summary>Packets sent since this meter started.</summary>
    public long Packets => Interlocked.Read(ref _packets);

    /// <summary>SPEAD bytes sent since this meter started.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Batches recorded between <see cref="StartRecording"/> and <see cref="StopRecording"/>.</summary>
    public sealed class Recording(int capacity)
    {
        /// <summary><see cref="Stopwatch"/> timestamps at which each batch was counted.</summary>
        public long[] Times { get; } = new long[capacity];

        /// <summary>SPEAD bytes of each batch.</summary>
        public long[] Sizes { get; } = new long[capacity];

        /// <summary>Batches recorded (at most the capacity).</summary>
        public int Count { get; internal set; }

        /// <summary>True if more batches came than there was room for.</summary>
        public bool Overflowed { get; internal set; }
    }

    /// <summary>Starts recording batches into arrays of <paramref name="capacity"/> (allocated here, not per batch).</summary>
    public void StartRecording(int capacity) => _recording = new Recording(capacity);

    /// <summary>Stops recording and returns what was recorded.</summary>
    public Recording StopRecording()
    {
        var recording = _recording ?? throw new InvalidOperationException("StartRecording was not called.");
        _recording = null;
        return recording;
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!IsOurs(tags))
            return;
        if (instrument.Name == PacketsInstrument)
        {
            Interlocked.Add(ref _packets, value);
            return;
        }
        Interlocked.Add(ref _bytes, value);
        // One writer thread at a time adds to a recording (the benchmark runs one stream), so Count needs no lock.
        if (_recording is { } r)
        {
            if (r.Count < r.Times.Length)
            {
                r.Times[r.Count] = Stopwatch.GetTimestamp();
                r.Sizes[r.Count] = value;
                r.Count++;
            }
            else
            {
                r.Overflowed = true;
            }
        }
    }

    private bool IsOurs(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == StreamTag)
                return tag.Value is string name && name == StreamName;
        }
        return false;
    }

    public void Dispose() => _listener.Dispose();
}
