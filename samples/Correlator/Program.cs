// Sends one of the three output streams of MeerKAT's GPU correlator katgpucbf, from typed records:
//   dotnet run --project samples/Correlator -c Release -- <feng|xeng|beam> HOST:PORT [HOST:PORT ...] [options]
// One substream per destination. See README.md for the layouts and where each fact comes from.
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Correlator;
using Spead2.Send;

return await CorrelatorCommand.InvokeAsync(args, Console.Out, Console.Error);

namespace Correlator
{
    /// <summary>The command line (System.CommandLine).</summary>
    public static class CorrelatorCommand
    {

        /// <summary>Parses <paramref name="args"/> and runs; returns 0, 1 for a transport fault, 2 for bad options.</summary>
        /// <param name="args">The arguments.</param>
        /// <param name="output">Where progress goes.</param>
        /// <param name="error">Where errors go.</param>
        /// <returns>The exit code.</returns>
        public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error)
        {
            using var stop = new CancellationTokenSource();
            var root = Build(output, stop.Token);
            var result = root.Parse(args);
            if (result.Errors.Count > 0)
            {
                foreach (var e in result.Errors)
                {
                    await error.WriteLineAsync(e.Message).ConfigureAwait(false);
                }

                await error.WriteLineAsync("Run with --help for usage.").ConfigureAwait(false);
                return 2;
            }

            // Ctrl-C (SIGINT) and SIGTERM stop the data but not the process: the action still sends a stop heap to each
            // substream, as katgpucbf's engines do when they shut down, and a receiver's loop ends cleanly.
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            try
            {
                var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
                return await result.InvokeAsync(invocation).ConfigureAwait(false);
            }
            catch (ArgumentException e)
            {
                await error.WriteLineAsync($"correlator: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                await error.WriteLineAsync($"correlator: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }

        /// <summary>The root command; its action sends the stream.</summary>
        /// <param name="output">Where progress goes.</param>
        /// <param name="stop">Stops the data like the invocation's own token (the signal handlers' token).</param>
        /// <returns>The command.</returns>
        public static RootCommand Build(TextWriter output, CancellationToken stop = default)
        {
            var kind = new Argument<StreamKind>("stream")
            {
                HelpName = "feng|xeng|beam",
                Description = "feng (antenna-channelised-voltage), xeng (baseline-correlation-products) or beam (tied-array-channelised-voltage)",
                CustomParser = r => r.Tokens[0].Value.ToLowerInvariant() switch
                {
                    "feng" => StreamKind.Feng,
                    "xeng" => StreamKind.Xeng,
                    "beam" => StreamKind.Beam,
                    var other => Fail(r, other),
                },
            };
            var destinations = new Argument<string[]>("destination")
            {
                Description = "HOST:PORT to send to (port 7148 if omitted); one substream per destination",
                Arity = ArgumentArity.OneOrMore,
            };
            var defaults = new CorrelatorOptions { Kind = StreamKind.Feng, Destinations = [] };
            var channels = new Option<int>("--channels") { Description = "Total channels", DefaultValueFactory = _ => defaults.Channels };
            var cps = new Option<int?>("--channels-per-substream") { Description = "Channels per substream [default: channels / number of destinations]" };
            var offset = new Option<int>("--channel-offset") { Description = "First channel of this X-engine or beam", DefaultValueFactory = _ => defaults.ChannelOffset };
            var antennas = new Option<int>("--antennas") { Description = "Antennas", DefaultValueFactory = _ => defaults.Antennas };
            var spectra = new Option<int>("--spectra-per-heap") { Description = "Spectra per F-engine and beam heap", DefaultValueFactory = _ => defaults.SpectraPerHeap };
            var accumulation = new Option<int>("--accumulation") { Description = "F-engine heaps per X-engine dump", DefaultValueFactory = _ => defaults.Accumulation };
            var sampleBits = new Option<int>("--sample-bits") { Description = "F-engine sample bits: 4 or 8", DefaultValueFactory = _ => defaults.SampleBits };
            var fengId = new Option<int>("--feng-id") { Description = "F-engine ID", DefaultValueFactory = _ => defaults.FengId };
            var heaps = new Option<long>("--heaps") { Description = "Data heaps per substream; -1 runs until Ctrl-C", DefaultValueFactory = _ => defaults.Heaps };
            var rate = new Option<double>("--rate") { Description = "Send rate in Gb/s; 0 is unlimited", DefaultValueFactory = _ => defaults.RateGbps };
            var packet = new Option<int>("--packet") { Description = "Payload bytes per packet", DefaultValueFactory = _ => defaults.Packet };

            var root = new RootCommand("Sends a katgpucbf-style F-engine, X-engine or beam SPEAD stream from typed records")
            {
                kind, destinations, channels, cps, offset, antennas, spectra, accumulation, sampleBits, fengId, heaps, rate, packet,
            };
            root.SetAction((result, ct) => RunWithSignalsAsync(new CorrelatorOptions
            {
                Kind = result.GetValue(kind),
                Destinations = result.GetValue(destinations)!,
                Channels = result.GetValue(channels),
                ChannelsPerSubstream = result.GetValue(cps),
                ChannelOffset = result.GetValue(offset),
                Antennas = result.GetValue(antennas),
                SpectraPerHeap = result.GetValue(spectra),
                Accumulation = result.GetValue(accumulation),
                SampleBits = result.GetValue(sampleBits),
                FengId = result.GetValue(fengId),
                Heaps = result.GetValue(heaps),
                RateGbps = result.GetValue(rate),
                Packet = result.GetValue(packet),
            }, output, ct));
            return root;

            async Task<int> RunWithSignalsAsync(CorrelatorOptions options, TextWriter output, CancellationToken ct)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, stop);
                return await RunAsync(options, output, linked.Token).ConfigureAwait(false);
            }

            static StreamKind Fail(System.CommandLine.Parsing.ArgumentResult r, string value)
            {
                r.AddError($"Unknown stream '{value}': use feng, xeng or beam.");
                return default;
            }
        }

        /// <summary>Checks the options, opens a UDP stream to the destinations and sends.</summary>
        /// <param name="options">The options.</param>
        /// <param name="output">Where progress goes.</param>
        /// <param name="cancellationToken">Ctrl-C: stops the data; stop heaps still go out.</param>
        /// <returns>0.</returns>
        public static async Task<int> RunAsync(CorrelatorOptions options, TextWriter output, CancellationToken cancellationToken)
        {
            var layout = new CorrelatorLayout(options);
            var endpoints = CorrelatorLayout.ResolveDestinations(options.Destinations);
            var config = CorrelatorSender.MakeConfig(layout);
            var multicast = 0;
            foreach (var e in endpoints)
            {
                multicast += IsMulticast(e.Address) ? 1 : 0;
            }

            if (multicast != 0 && multicast != endpoints.Count)
            {
                throw new ArgumentException("Destinations must be all multicast groups or all unicast addresses.", nameof(options));
            }

            await using var stream = multicast > 0
                ? new UdpStream(endpoints, config, new UdpStreamOptions { Ttl = Katgpucbf.MulticastTtl })
                : new UdpStream(endpoints, config);
            Describe(layout, endpoints, output);
            var report = await CorrelatorSender.RunAsync(layout, stream, output, cancellationToken: cancellationToken).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Sent {report.DataHeaps} data heaps, {report.DescriptorHeaps} descriptor heaps and {report.StopHeaps} stop heaps ({report.Bytes} bytes) in {report.Elapsed.TotalSeconds:0.000} s"));
            return 0;
        }

        private static bool IsMulticast(IPAddress address) =>
            address.AddressFamily == AddressFamily.InterNetworkV6 ? address.IsIPv6Multicast : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

        private static void Describe(CorrelatorLayout layout, IReadOnlyList<IPEndPoint> endpoints, TextWriter output)
        {
            var o = layout.Options;
            var item = o.Kind switch
            {
                StreamKind.Feng => $"feng_raw {(o.SampleBits == 8 ? "int8" : "('i', 4)")} ({layout.ChannelsPerSubstream}, {o.SpectraPerHeap}, 2, 2)",
                StreamKind.Xeng => $"xeng_raw <i4 ({layout.ChannelsPerSubstream}, {layout.Baselines}, 2)",
                _ => $"bf_raw int8 ({layout.ChannelsPerSubstream}, {o.SpectraPerHeap}, 2)",
            };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{o.Kind.ToString().ToLowerInvariant()}: {item}, {layout.HeapPayload} bytes per heap, timestamp step {layout.TimestampStep}, packets of {o.Packet} + {layout.MaxPacketSize - o.Packet} bytes, SPEAD-64-48"));
            for (var i = 0; i < endpoints.Count; i++)
            {
                var (first, step) = layout.CntSequence(i, out var shared);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  substream {i} -> {endpoints[i]}: frequency {layout.FirstChannel(i)}, heap cnt {first} + {step}·k{(shared && endpoints.Count > 1 ? " (one sequence for all substreams)" : "")}"));
            }
        }
    }
}
