using System.Diagnostics;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Typed;

namespace Correlator;

/// <summary>What <see cref="CorrelatorSender.RunAsync"/> sent.</summary>
/// <param name="DataHeaps">Data heaps, all substreams together.</param>
/// <param name="DescriptorHeaps">Descriptor heaps, all substreams together.</param>
/// <param name="StopHeaps">Stop heaps (one per substream).</param>
/// <param name="Bytes">Bytes handed to the transport (headers included).</param>
/// <param name="Elapsed">Time from the first descriptors to the last stop heap.</param>
public sealed record SendReport(long DataHeaps, long DescriptorHeaps, long StopHeaps, long Bytes, TimeSpan Elapsed);

/// <summary>
/// Sends one of katgpucbf's output streams, as katgpucbf does: a descriptor heap of its own to every substream at the
/// start and again every few seconds; data heaps without descriptors and with every item pointer repeated in every
/// packet, one per substream per timestamp, sent as a round-robin group; katgpucbf's heap cnt sequences; timestamps
/// stepping by the ADC samples a heap spans; a stop heap per substream at the end.
/// </summary>
public static class CorrelatorSender
{
    /// <summary>The stream configuration: packet size (payload + preamble), rate, and room for two batches in flight.</summary>
    /// <param name="layout">The checked options.</param>
    /// <returns>A new configuration.</returns>
    public static StreamConfig MakeConfig(CorrelatorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return new StreamConfig
        {
            MaxPacketSize = layout.MaxPacketSize,
            Rate = layout.Options.RateGbps * 1e9 / 8,
            // Two batches of data heaps, a round of descriptors and a round of stop heaps.
            MaxHeaps = 4 * layout.Substreams + 1,
        };
    }

    /// <summary>Sends the stream described by <paramref name="layout"/> over <paramref name="stream"/> (one substream per destination).</summary>
    /// <param name="layout">The checked options.</param>
    /// <param name="stream">A stream with <see cref="CorrelatorLayout.Substreams"/> substreams, configured with <see cref="MakeConfig"/>.</param>
    /// <param name="log">Where to write progress, or null.</param>
    /// <param name="timeProvider">The clock for the descriptor schedule (null: the system clock).</param>
    /// <param name="cancellationToken">Stops sending data (Ctrl-C); the stop heaps are still sent.</param>
    /// <returns>What was sent.</returns>
    /// <exception cref="ArgumentException">The stream has another number of substreams.</exception>
    public static Task<SendReport> RunAsync(CorrelatorLayout layout, SendStream stream, TextWriter? log = null,
        TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.NumSubstreams != layout.Substreams)
        {
            throw new ArgumentException($"The stream has {stream.NumSubstreams} substreams, but the layout has {layout.Substreams} destinations.", nameof(stream));
        }

        var time = timeProvider ?? TimeProvider.System;
        HeapSource source = layout.Options.Kind switch
        {
            StreamKind.Feng when layout.Options.SampleBits == 4 => HeapSources.Feng4(layout),
            StreamKind.Feng => HeapSources.Feng(layout),
            StreamKind.Xeng => HeapSources.Xeng(layout),
            _ => HeapSources.Beam(layout),
        };
        return new Run(layout, stream, source, log, time).SendAsync(cancellationToken);
    }

    private sealed class Run(CorrelatorLayout layout, SendStream stream, HeapSource source, TextWriter? log, TimeProvider time)
    {
        private readonly CntSequence[] _cnts = CntSequence.For(layout);
        private readonly HeapReference[] _descriptorRefs = new HeapReference[layout.Substreams];
        private long _bytes;
        private long _descriptorHeaps;

        public async Task<SendReport> SendAsync(CancellationToken cancellationToken)
        {
            var n = layout.Substreams;
            var started = time.GetTimestamp();

            // Two batches of heaps: one is filled while the other is being sent. A heap is refilled only after its
            // batch completed, since the stream reads its items (the data arrays too) until then.
            var heaps = new Heap[2][];
            var refs = new HeapReference[2][];
            var pending = new ValueTask<long>[2];
            var inFlight = new bool[2];
            for (var b = 0; b < 2; b++)
            {
                heaps[b] = new Heap[n];
                refs[b] = new HeapReference[n];
                for (var i = 0; i < n; i++)
                {
                    heaps[b][i] = new Heap(Katgpucbf.Flavour) { RepeatPointers = true };
                }
            }

            await SendDescriptorsAsync().ConfigureAwait(false);
            var nextDescriptors = layout.FirstDescriptorDelay;
            var nextProgress = 1.0;
            long batch = 0;
            var heapsWanted = layout.Options.Heaps;
            try
            {
                for (; heapsWanted < 0 || batch < heapsWanted; batch++)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break;
                    }

                    var slot = (int)(batch & 1);
                    if (inFlight[slot])
                    {
                        inFlight[slot] = false;
                        _bytes += await pending[slot].ConfigureAwait(false);
                    }

                    var timestamp = (ulong)(batch * layout.TimestampStep);
                    for (var i = 0; i < n; i++)
                    {
                        var heap = heaps[slot][i];
                        heap.Clear();
                        source.AddValues(heap, i, timestamp);
                        refs[slot][i] = new HeapReference(heap, _cnts[i].Take(), i);
                    }

                    pending[slot] = stream.SendHeapsAsync(refs[slot], GroupMode.RoundRobin, CancellationToken.None);
                    inFlight[slot] = true;

                    var elapsed = time.GetElapsedTime(started).TotalSeconds;
                    if (elapsed >= nextDescriptors)
                    {
                        await SendDescriptorsAsync().ConfigureAwait(false);
                        nextDescriptors += layout.DescriptorPeriod;
                    }

                    if (log is not null && heapsWanted < 0 && elapsed >= nextProgress)
                    {
                        await log.WriteLineAsync($"{batch + 1} heaps per substream, {_bytes / 1e6:0.0} MB").ConfigureAwait(false);
                        nextProgress += 5;
                    }
                }
            }
            finally
            {
                for (var b = 0; b < 2; b++)
                {
                    if (inFlight[b])
                    {
                        inFlight[b] = false;
                        _bytes += await pending[b].ConfigureAwait(false);
                    }
                }
            }

            // A stop heap per substream, its cnt from the substream's sequence, as katgpucbf's engines end.
            var stop = new Heap(Katgpucbf.Flavour);
            stop.AddEnd();
            for (var i = 0; i < n; i++)
            {
                _bytes += await stream.SendHeapAsync(stop, _cnts[i].Take(), i, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }

            return new SendReport(batch * n, _descriptorHeaps, n, _bytes, time.GetElapsedTime(started));
        }

        private async Task SendDescriptorsAsync()
        {
            // Sent at an unlimited rate (katgpucbf: rate=0), so that they do not delay the data.
            for (var i = 0; i < _descriptorRefs.Length; i++)
            {
                _descriptorRefs[i] = new HeapReference(source.Descriptors, _cnts[i].Take(), i, rate: 0);
            }

            _bytes += await stream.SendHeapsAsync(_descriptorRefs, GroupMode.RoundRobin, CancellationToken.None).ConfigureAwait(false);
            _descriptorHeaps += _descriptorRefs.Length;
        }
    }

    /// <summary>A heap cnt sequence (first, step); shared by the substreams of one katgpucbf stream.</summary>
    private sealed class CntSequence(long first, long step)
    {
        private long _next = first;

        public long Take()
        {
            var cnt = _next;
            _next += step;
            return cnt;
        }

        public static CntSequence[] For(CorrelatorLayout layout)
        {
            var result = new CntSequence[layout.Substreams];
            for (var i = 0; i < result.Length; i++)
            {
                var (first, step) = layout.CntSequence(i, out var shared);
                result[i] = shared && i > 0 ? result[0] : new CntSequence(first, step);
            }

            return result;
        }
    }
}

/// <summary>Builds one stream's descriptor heap and the values of its data heaps.</summary>
internal abstract class HeapSource
{
    /// <summary>The descriptor-only heap (every item's descriptor, no values).</summary>
    public abstract Heap Descriptors { get; }

    /// <summary>Adds the values of substream <paramref name="substream"/>'s heap with this timestamp (no descriptors).</summary>
    /// <param name="heap">An empty heap.</param>
    /// <param name="substream">The substream.</param>
    /// <param name="timestamp">The heap's timestamp.</param>
    public abstract void AddValues(Heap heap, int substream, ulong timestamp);
}

/// <summary>A <see cref="HeapSource"/> for record type <typeparamref name="T"/>: a fixed record per substream whose timestamp is replaced per heap.</summary>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class HeapSource<T> : HeapSource
    where T : ISpeadHeap<T>
{
    private readonly HeapWriter<T> _writer;
    private readonly T[] _values;
    private readonly Func<T, ulong, T> _withTimestamp;

    public HeapSource(HeapWriter<T> writer, T[] values, Func<T, ulong, T> withTimestamp)
    {
        _writer = writer;
        _values = values;
        _withTimestamp = withTimestamp;
        var descriptors = new Heap(Katgpucbf.Flavour);
        writer.AddDescriptorsToHeap(descriptors, HeapContents.All);
        Descriptors = descriptors;
    }

    public override Heap Descriptors { get; }

    public override void AddValues(Heap heap, int substream, ulong timestamp)
    {
        Debug.Assert(heap.Count == 0, "AddValues expects an empty heap");
        _writer.AddToHeap(_withTimestamp(_values[substream], timestamp), heap, HeapContents.None);
    }
}
