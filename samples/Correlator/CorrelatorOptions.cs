using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Correlator;

/// <summary>Which of katgpucbf's three output streams to send.</summary>
public enum StreamKind
{
    /// <summary>F-engine antenna-channelised-voltage (<c>fgpu/send.py</c>).</summary>
    Feng,

    /// <summary>X-engine baseline-correlation-products (<c>xbgpu/xsend.py</c>).</summary>
    Xeng,

    /// <summary>Tied-array-channelised-voltage beams (<c>xbgpu/bsend.py</c>).</summary>
    Beam,
}

/// <summary>The command line, one property per option (defaults as in the issue and katgpucbf).</summary>
public sealed record CorrelatorOptions
{
    /// <summary>The stream to send.</summary>
    public required StreamKind Kind { get; init; }

    /// <summary><c>HOST[:PORT]</c> destinations, one substream each.</summary>
    public required IReadOnlyList<string> Destinations { get; init; }

    /// <summary>Total channels of the correlator.</summary>
    public int Channels { get; init; } = 1024;

    /// <summary>Channels in each substream's heaps; null = channels / destinations.</summary>
    public int? ChannelsPerSubstream { get; init; }

    /// <summary>First channel of this X-engine or beam (X and beam streams).</summary>
    public int ChannelOffset { get; init; }

    /// <summary>Antennas in the array.</summary>
    public int Antennas { get; init; } = 4;

    /// <summary>Spectra in each F-engine (and beam) heap.</summary>
    public int SpectraPerHeap { get; init; } = 256;

    /// <summary>F-engine heaps accumulated into one X-engine dump.</summary>
    public int Accumulation { get; init; } = 4;

    /// <summary>Bits per F-engine sample component: 8 (int8) or 4 (packed <c>('i', 4)</c>).</summary>
    public int SampleBits { get; init; } = 8;

    /// <summary>This F-engine's ID.</summary>
    public int FengId { get; init; }

    /// <summary>Data heaps per substream; -1 sends until cancelled.</summary>
    public long Heaps { get; init; } = 20;

    /// <summary>Send rate in Gb/s; 0 = as fast as possible.</summary>
    public double RateGbps { get; init; } = 1;

    /// <summary>Payload bytes per packet.</summary>
    public int Packet { get; init; } = Katgpucbf.DefaultPacketPayload;

    /// <summary>
    /// Seconds between descriptor heaps (katgpucbf: 5). Not on the command line; tests shorten it. The F-engine
    /// staggers its first resend by feng ID and then resends every <c>antennas</c> intervals, as katgpucbf's does.
    /// </summary>
    public double DescriptorInterval { get; init; } = Katgpucbf.DescriptorIntervalSeconds;
}

/// <summary>
/// Everything derived from <see cref="CorrelatorOptions"/> and checked once: shapes, timestamp step, cnt sequences,
/// packet size. Bad options throw <see cref="ArgumentOutOfRangeException"/> naming the option and its limit.
/// </summary>
public sealed class CorrelatorLayout
{
    /// <summary>Checks the options and derives the layout.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it and the limit).</exception>
    /// <exception cref="ArgumentException">No destination.</exception>
    public CorrelatorLayout(CorrelatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Substreams = options.Destinations.Count;
        if (Substreams == 0)
        {
            throw new ArgumentException("Give at least one HOST:PORT destination.", nameof(options));
        }

        Positive(options.Channels, "--channels");
        Positive(options.Antennas, "--antennas");
        Positive(options.SpectraPerHeap, "--spectra-per-heap");
        Positive(options.Accumulation, "--accumulation");
        Positive(options.Packet, "--packet");
        if (options.SampleBits is not (4 or 8))
        {
            throw new ArgumentOutOfRangeException("--sample-bits", options.SampleBits, "--sample-bits must be 4 or 8.");
        }

        if (options.FengId < 0 || options.FengId >= options.Antennas)
        {
            throw new ArgumentOutOfRangeException("--feng-id", options.FengId, $"--feng-id must be from 0 to --antennas - 1 ({options.Antennas - 1}).");
        }

        if (options.Heaps < -1)
        {
            throw new ArgumentOutOfRangeException("--heaps", options.Heaps, "--heaps must be -1 (until Ctrl-C) or at least 0.");
        }

        if (!double.IsFinite(options.RateGbps) || options.RateGbps < 0)
        {
            throw new ArgumentOutOfRangeException("--rate", options.RateGbps, "--rate must be 0 (unlimited) or a positive number of Gb/s.");
        }

        if (!double.IsFinite(options.DescriptorInterval) || options.DescriptorInterval <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options.DescriptorInterval), options.DescriptorInterval, "The descriptor interval must be positive.");
        }

        if (options.ChannelsPerSubstream is { } given)
        {
            Positive(given, "--channels-per-substream");
            ChannelsPerSubstream = given;
        }
        else
        {
            if (options.Channels % Substreams != 0)
            {
                throw new ArgumentOutOfRangeException("--channels", options.Channels,
                    $"--channels must be a multiple of the number of destinations ({Substreams}), or give --channels-per-substream.");
            }

            ChannelsPerSubstream = options.Channels / Substreams;
        }

        var cps = ChannelsPerSubstream;
        if (options.Channels % cps != 0)
        {
            throw new ArgumentOutOfRangeException("--channels-per-substream", cps, $"--channels ({options.Channels}) must be a multiple of --channels-per-substream.");
        }

        switch (options.Kind)
        {
            case StreamKind.Feng:
                // An F-engine sends every channel, split evenly over its destinations.
                if ((long)cps * Substreams != options.Channels)
                {
                    throw new ArgumentOutOfRangeException("--channels-per-substream", cps,
                        $"an F-engine sends all {options.Channels} channels: --channels-per-substream times the {Substreams} destinations must equal --channels.");
                }

                break;
            case StreamKind.Xeng:
            case StreamKind.Beam:
                if (options.ChannelOffset < 0 || options.ChannelOffset % cps != 0)
                {
                    throw new ArgumentOutOfRangeException("--channel-offset", options.ChannelOffset, $"--channel-offset must be a non-negative multiple of --channels-per-substream ({cps}).");
                }

                // X: each destination is one X-engine, the next one's channels following; beam: every beam covers the same channels.
                var last = options.ChannelOffset + (long)cps * (options.Kind == StreamKind.Xeng ? Substreams : 1);
                if (last > options.Channels)
                {
                    throw new ArgumentOutOfRangeException("--channel-offset", options.ChannelOffset,
                        $"channels {options.ChannelOffset} to {last - 1} do not fit in --channels ({options.Channels}).");
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown stream kind.");
        }

        Baselines = 2 * options.Antennas * (options.Antennas + 1);
        SamplesBetweenSpectra = 2L * options.Channels;
        TimestampStep = SamplesBetweenSpectra * options.SpectraPerHeap * (options.Kind == StreamKind.Xeng ? options.Accumulation : 1);
        ItemCount = options.Kind == StreamKind.Xeng ? 3 : 4;
        MaxPacketSize = options.Packet + Katgpucbf.PreambleSize(ItemCount);
        HeapPayload = options.Kind switch
        {
            StreamKind.Feng => (long)cps * options.SpectraPerHeap * Katgpucbf.Pols * Katgpucbf.Complex * options.SampleBits / 8,
            StreamKind.Xeng => (long)cps * Baselines * Katgpucbf.Complex * sizeof(int),
            _ => (long)cps * options.SpectraPerHeap * Katgpucbf.Complex,
        };
        if (HeapPayload > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException("--channels-per-substream", cps, $"a heap of {HeapPayload} bytes is more than an array can hold; use more destinations or fewer channels.");
        }
    }

    /// <summary>The options this layout was derived from.</summary>
    public CorrelatorOptions Options { get; }

    /// <summary>Substreams: one per destination.</summary>
    public int Substreams { get; }

    /// <summary>Channels in each heap.</summary>
    public int ChannelsPerSubstream { get; }

    /// <summary>Correlation products per channel: 2·ants·(ants+1) (four per antenna pair, autocorrelations included).</summary>
    public int Baselines { get; }

    /// <summary>ADC samples between spectra: 2·channels (wideband).</summary>
    public long SamplesBetweenSpectra { get; }

    /// <summary>ADC samples between consecutive heaps of a substream.</summary>
    public long TimestampStep { get; }

    /// <summary>Items in a data heap besides the packet fields (F and beam: 4, X: 3).</summary>
    public int ItemCount { get; }

    /// <summary>Maximum packet size: payload + header and the repeated item pointers, as katgpucbf sets it.</summary>
    public int MaxPacketSize { get; }

    /// <summary>Payload bytes of one data heap.</summary>
    public long HeapPayload { get; }

    /// <summary>
    /// The first channel of substream <paramref name="substream"/>'s heaps: for an F-engine its share of the band,
    /// for X-engines each destination's engine, for beams the same channels for every beam.
    /// </summary>
    /// <param name="substream">The substream index.</param>
    /// <returns>The channel number sent as <c>frequency</c>.</returns>
    public long FirstChannel(int substream) => Options.Kind switch
    {
        StreamKind.Feng => (long)substream * ChannelsPerSubstream,
        StreamKind.Xeng => Options.ChannelOffset + (long)substream * ChannelsPerSubstream,
        _ => Options.ChannelOffset,
    };

    /// <summary>
    /// katgpucbf's heap cnt sequences, as (first, step) for one substream; <paramref name="shared"/> says whether all
    /// substreams draw from one sequence (F-engine: <c>set_cnt_sequence(feng_id, n_ants)</c> on its one stream; beams:
    /// <c>(channel_offset / cps, channels / cps)</c> on the one stream of all beams) or each has its own (X: each
    /// destination is an X-engine whose own stream uses <c>(its channel offset / cps, channels / cps)</c>).
    /// </summary>
    /// <param name="substream">The substream index.</param>
    /// <param name="shared">Whether the sequence is shared by all substreams.</param>
    /// <returns>The first cnt and the step.</returns>
    public (long First, long Step) CntSequence(int substream, out bool shared)
    {
        var opts = Options;
        switch (opts.Kind)
        {
            case StreamKind.Feng:
                shared = true;
                return (opts.FengId, opts.Antennas);
            case StreamKind.Xeng:
                shared = false;
                return (FirstChannel(substream) / ChannelsPerSubstream, opts.Channels / ChannelsPerSubstream);
            default:
                shared = true;
                return (opts.ChannelOffset / ChannelsPerSubstream, opts.Channels / ChannelsPerSubstream);
        }
    }

    /// <summary>Seconds from the first descriptors to the second (F-engine: (feng ID + 1) intervals, staggering engines).</summary>
    public double FirstDescriptorDelay => Options.Kind == StreamKind.Feng ? (Options.FengId + 1) * Options.DescriptorInterval : Options.DescriptorInterval;

    /// <summary>Seconds between later descriptors (F-engine: antennas intervals, so that all engines together send one per interval).</summary>
    public double DescriptorPeriod => Options.Kind == StreamKind.Feng ? Options.Antennas * Options.DescriptorInterval : Options.DescriptorInterval;

    /// <summary>Resolves <c>HOST[:PORT]</c> destinations (IPv6 as <c>[addr]:port</c>; port 7148 when absent).</summary>
    /// <param name="destinations">The destinations.</param>
    /// <returns>One endpoint each.</returns>
    /// <exception cref="ArgumentException">A destination cannot be parsed or resolved.</exception>
    public static IReadOnlyList<IPEndPoint> ResolveDestinations(IReadOnlyList<string> destinations)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        var result = new IPEndPoint[destinations.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Resolve(destinations[i]);
        }

        return result;
    }

    private static IPEndPoint Resolve(string destination)
    {
        string host = destination;
        string? portText = null;
        if (destination.StartsWith('['))
        {
            // [IPv6]:port
            var close = destination.IndexOf(']');
            if (close < 0 || (close + 1 < destination.Length && destination[close + 1] != ':'))
            {
                throw new ArgumentException($"Destination '{destination}': write an IPv6 address as [address]:port.", nameof(destination));
            }

            host = destination[1..close];
            portText = close + 1 < destination.Length ? destination[(close + 2)..] : null;
        }
        else if (destination.IndexOf(':') is var colon and >= 0 && colon == destination.LastIndexOf(':'))
        {
            host = destination[..colon];
            portText = destination[(colon + 1)..];
        }

        var port = Katgpucbf.DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new ArgumentException($"Destination '{destination}': the port must be a number from 1 to 65535.", nameof(destination));
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        try
        {
            foreach (var candidate in Dns.GetHostAddresses(host))
            {
                if (candidate.AddressFamily == AddressFamily.InterNetwork)
                {
                    return new IPEndPoint(candidate, port);
                }
            }
        }
        catch (SocketException e)
        {
            throw new ArgumentException($"Destination '{destination}': {e.Message}", nameof(destination), e);
        }

        throw new ArgumentException($"Destination '{destination}' has no IPv4 address.", nameof(destination));
    }

    private static void Positive(long value, string option)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(option, value, $"{option} must be at least 1.");
        }
    }
}
