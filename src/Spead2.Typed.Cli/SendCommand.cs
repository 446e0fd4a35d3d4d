using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Cli;

/// <summary><c>spead2-typed send</c>: spead2_send for .NET.</summary>
internal static class SendCommand
{
    internal sealed record Options(
        IReadOnlyList<string> Destinations,
        long HeapSize,
        int Items,
        long Heaps,
        int PacketSize,
        double RateGbps,
        long Burst,
        double BurstRateRatio,
        int MaxHeaps,
        RateMethod RateMethod,
        int AddrBits,
        bool PySpead,
        bool Tcp,
        int? Ttl,
        string? Bind,
        int? Buffer,
        int Descriptors,
        string Dtype,
        bool SyncContinuations = false);

    public static Command Create()
    {
        var destinations = new Argument<string[]>("destination") { Description = "HOST:PORT to send to; several destinations are substreams (heap i goes to substream i mod n)", Arity = ArgumentArity.OneOrMore };
        destinations.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                try
                {
                    Endpoints.Split(token.Value);
                }
                catch (FormatException e)
                {
                    result.AddError($"destination {e.Message}");
                }
            }
        });
        var heapSize = CliOptions.Size("--heap-size", "Payload per heap", 4194304, min: 1);
        var items = new Option<int>("--items") { Description = "Items per heap (the heap size is split between them)", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var heaps = new Option<long>("--heaps") { Description = "Number of data heaps to send; -1 sends until Ctrl-C or SIGTERM", DefaultValueFactory = _ => -1 }
            .Require(v => v >= -1, ">= -1 (-1 sends until Ctrl-C)");
        var packet = CliOptions.Size("--packet", "Maximum packet size", StreamConfig.DefaultMaxPacketSize, min: StreamConfig.MinPacketSize, max: int.MaxValue);
        var rate = new Option<double>("--rate") { Description = "Transmission rate in Gb/s (10^9 bits of SPEAD packets per second); 0 is unlimited", DefaultValueFactory = _ => 0 }
            .Finite().AtLeast(0.0, "Gb/s");
        var burst = CliOptions.Size("--burst", "Burst size", StreamConfig.DefaultBurstSize, min: 0);
        var burstRateRatio = new Option<double>("--burst-rate-ratio") { Description = "Catch-up rate as a ratio of --rate", DefaultValueFactory = _ => StreamConfig.DefaultBurstRateRatio }
            .Finite().AtLeast(1.0);
        var maxHeaps = new Option<int>("--max-heaps") { Description = "Heaps in flight at once", DefaultValueFactory = _ => StreamConfig.DefaultMaxHeaps }.AtLeast(1);
        var rateMethod = new Option<RateMethod>("--rate-method") { Description = "Rate limiting method (Sw, Hw, Auto)", DefaultValueFactory = _ => RateMethod.Auto };
        var addrBits = new Option<int>("--addr-bits") { Description = "Heap address bits of the flavour (8 to 56, multiple of 8)", DefaultValueFactory = _ => 40 }
            .Require(v => v is >= 8 and <= 56 && v % 8 == 0, "a multiple of 8 from 8 to 56");
        var pyspead = new Option<bool>("--pyspead") { Description = "PySPEAD 0.5.2 bug compatibility" };
        var tcp = new Option<bool>("--tcp") { Description = "Send over TCP (one destination)" };
        var ttl = new Option<int?>("--ttl") { Description = "Multicast TTL (destinations must be multicast groups)" }.Between(0, 255);
        var bind = new Option<string?>("--bind") { Description = "Local address to send from (multicast: the interface address)" }
            .Require(v => IPAddress.TryParse(v, out _), "an IP address");
        var buffer = CliOptions.OptionalSize("--buffer", "Socket send buffer size, if not 512K (UDP) or 208K (TCP)", min: 1, max: int.MaxValue);
        var descriptors = new Option<int>("--descriptors") { Description = "Resend descriptors every N heaps; 0 sends them with the first heap only", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var dtype = new Option<string>("--dtype") { Description = "numpy dtype of the items", DefaultValueFactory = _ => "|u1" };
        dtype.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && DTypeError(result.Tokens[^1].Value) is { } error)
                result.AddError($"--dtype: {error}");
        });
        var syncContinuations = new Option<bool>("--sync-continuations") { Description = "Run the send loop on the stream's writer thread (StreamConfig.AllowSynchronousContinuations): saves a thread hand-off per heap" };

        var command = new Command("send", "Send heaps of generated data (like spead2_send). Ctrl-C or SIGTERM stops it: heaps not yet started are dropped, the end-of-stream heap is sent and the summary printed")
        {
            destinations, heapSize, items, heaps, packet, rate, burst, burstRateRatio, maxHeaps, rateMethod,
            addrBits, pyspead, tcp, ttl, bind, buffer, descriptors, dtype, syncContinuations,
        };
        command.SetAction((result, ct) => RunAsync(new Options(
            result.GetValue(destinations)!, result.GetValue(heapSize), result.GetValue(items), result.GetValue(heaps),
            // The size parsers bounded --packet and --buffer to int.
            (int)result.GetValue(packet), result.GetValue(rate), result.GetValue(burst), result.GetValue(burstRateRatio),
            result.GetValue(maxHeaps), result.GetValue(rateMethod), result.GetValue(addrBits), result.GetValue(pyspead),
            result.GetValue(tcp), result.GetValue(ttl), result.GetValue(bind), (int?)result.GetValue(buffer),
            result.GetValue(descriptors), result.GetValue(dtype)!, result.GetValue(syncContinuations)), Console.Out, ct));
        return command;
    }

    internal static StreamConfig MakeConfig(Options o) => new()
    {
        MaxPacketSize = o.PacketSize,
        Rate = o.RateGbps * 1e9 / 8,
        BurstSize = o.Burst,
        BurstRateRatio = o.BurstRateRatio,
        MaxHeaps = o.MaxHeaps,
        RateMethod = o.RateMethod,
        AllowSynchronousContinuations = o.SyncContinuations,
    };

    internal static async Task<SendStream> OpenAsync(Options o, StreamConfig config, CancellationToken ct)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var d in o.Destinations)
            endpoints.Add(Endpoints.Resolve(d));
        IPAddress? bind = o.Bind is null ? null : IPAddress.Parse(o.Bind);
        if (o.Tcp && endpoints.Count != 1)
            throw new UsageException($"--tcp sends to exactly one destination, got {endpoints.Count}");
        if (o.Ttl is not null && endpoints.Find(e => !Endpoints.IsMulticast(e.Address)) is { } unicast)
            throw new UsageException($"--ttl {o.Ttl} needs multicast destinations, got {unicast}");
        try
        {
            if (o.Tcp)
                return await TcpStream.ConnectAsync(endpoints[0], config, o.Buffer ?? TcpStream.DefaultBufferSize, bind, cancellationToken: ct).ConfigureAwait(false);
            int buffer = o.Buffer ?? UdpStream.DefaultBufferSize;
            if (o.Ttl is { } ttl)
            {
                return bind is null
                    ? new UdpStream(endpoints, config, new UdpStreamOptions { BufferSize = buffer, Ttl = ttl })
                    : new UdpStream(endpoints, config, new UdpStreamOptions { BufferSize = buffer, Ttl = ttl, InterfaceAddress = bind });
            }
            return new UdpStream(endpoints, config, new UdpStreamOptions { BufferSize = buffer, InterfaceAddress = bind });
        }
        catch (SocketException e) when (bind is not null && e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            // The bare "Cannot assign requested address" does not say which address.
            throw new IOException($"--bind {o.Bind}: {e.Message}", e);
        }
    }

    /// <summary>Why <paramref name="text"/> is not a dtype the library supports, or null if it is one.</summary>
    internal static string? DTypeError(string text)
    {
        try
        {
            DType.Parse(text);
            return null;
        }
        catch (ArgumentException e)
        {
            // The message without the " (Parameter 'dtype')" that names the library's parameter, not the option.
            string suffix = $" (Parameter '{e.ParamName}')";
            return e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
        }
    }

    /// <summary>The items of every data heap: <c>--items</c> arrays sharing <c>--heap-size</c> bytes.</summary>
    /// <exception cref="UsageException">The options do not give every item at least one element, or an item would
    /// not fit in one array.</exception>
    internal static (Descriptor Descriptor, byte[] Data)[] MakeItems(Options o)
    {
        if (o.Items < 1)
            throw new UsageException($"--items must be >= 1, got {o.Items}");
        if (DTypeError(o.Dtype) is { } error)
            throw new UsageException($"--dtype: {error}");
        var dtype = DType.Parse(o.Dtype);
        long itemBytes = o.HeapSize / o.Items;
        long elements = itemBytes / dtype.ItemSize;
        if (elements < 1)
        {
            throw new UsageException(
                $"--heap-size must be >= {(long)o.Items * dtype.ItemSize} bytes for {o.Items} items of {dtype.ItemSize}-byte {o.Dtype} elements, got {CliOptions.FormatSize(o.HeapSize)}");
        }
        if (elements * dtype.ItemSize > Array.MaxLength)
        {
            throw new UsageException(
                $"--heap-size / --items must be <= {Array.MaxLength} bytes (each item is one array), got {CliOptions.FormatSize(o.HeapSize)} / {o.Items}");
        }
        var result = new (Descriptor, byte[])[o.Items];
        for (int i = 0; i < o.Items; i++)
        {
            var data = new byte[elements * dtype.ItemSize];
            for (int j = 0; j < data.Length; j++)
                data[j] = (byte)(j + i);
            result[i] = (new Descriptor(ItemIds.FirstUnreserved + i, $"item{i}", $"Generated item {i}", [elements], dtype: dtype.Descr), data);
        }
        return result;
    }

    // The heaps and the stream check the items against the flavour (item IDs or shapes wider than --addr-bits
    // allows): say it with the options the user typed.
    private static UsageException NotFitting(Options o, ArgumentException e) => new(
        $"--heap-size {CliOptions.FormatSize(o.HeapSize)} with --items {o.Items} and --dtype {o.Dtype} does not fit --addr-bits {o.AddrBits}: {CliOptions.LibraryMessage(e)}");

    /// <summary>
    /// Sends <c>--heaps</c> data heaps (or until <paramref name="ct"/> is cancelled), then one end-of-stream heap per
    /// substream, and prints the summary.
    /// </summary>
    /// <remarks>
    /// Cancellation (Ctrl-C, SIGTERM) is a normal way to end a run of <c>--heaps -1</c>: heaps still queued are
    /// dropped (the one on the wire is finished, as the stream always does), and the end-of-stream heaps are still
    /// sent, so that a receiver stops and prints its own statistics. spead2_send has no signal handling and dies
    /// without them; sending them costs a few packets and saves the user a second Ctrl-C at the receiver.
    /// </remarks>
    public static async Task<int> RunAsync(Options o, TextWriter output, CancellationToken ct)
    {
        var flavour = new Flavour(heapAddressBits: o.AddrBits, bugCompat: o.PySpead ? BugCompat.PySpead052 : BugCompat.None);
        var config = MakeConfig(o);
        var items = MakeItems(o);
        await using var stream = await OpenAsync(o, config, ct).ConfigureAwait(false);

        // A ring of MaxHeaps reusable heaps: a slot is rebuilt only after its previous heap completed, so the loop
        // allocates nothing per heap and never has more heaps in flight than the stream accepts.
        int slots = config.MaxHeaps;
        // As spead2_send does, every heap is built once: a slot's heap is only sent again after its previous send
        // completed, and the data never changes. Heaps that carry descriptors (the first, and every --descriptors-th)
        // are built once too.
        var heaps = new Heap[slots];
        var descriptorHeaps = new Heap[slots];
        var pending = new ValueTask<long>[slots];
        var inFlight = new bool[slots];
        try
        {
            for (int i = 0; i < slots; i++)
            {
                heaps[i] = new Heap(flavour);
                descriptorHeaps[i] = new Heap(flavour);
                foreach (var (descriptor, data) in items)
                {
                    descriptorHeaps[i].AddDescriptor(descriptor);
                    descriptorHeaps[i].AddItem(descriptor.Id, data);
                    heaps[i].AddItem(descriptor.Id, data);
                }
            }
        }
        catch (ArgumentException e)
        {
            throw NotFitting(o, e);
        }

        // The token lets a signal drop the heaps that are still queued instead of waiting for them, which at a low
        // --rate could take seconds. Unpaced, the MaxHeaps heaps in flight go out within microseconds of a signal, and
        // a heap queued without a token spares the writer an interlocked claim per heap.
        CancellationToken heapToken = o.RateGbps > 0 ? ct : CancellationToken.None;
        var cpu = Process.GetCurrentProcess();
        var cpuStart = cpu.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long bytes = 0, sent = 0;
        bool stopped = false;
        double lastProgress = 0;
        bool live = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        try
        {
            // Slot, substream and descriptor countdown are stepped, not divided out of n: three 64-bit divisions per
            // heap are a measurable share of a single-packet heap's cost.
            int slot = 0;
            int substream = 0;
            int substreams = stream.NumSubstreams;
            long untilDescriptors = 0;
            for (long n = 0; o.Heaps < 0 || n < o.Heaps; n++, slot = slot + 1 == slots ? 0 : slot + 1, substream = substream + 1 == substreams ? 0 : substream + 1)
            {
                if (ct.IsCancellationRequested)
                {
                    stopped = true;
                    break;
                }
                if (inFlight[slot])
                {
                    inFlight[slot] = false;
                    try
                    {
                        bytes += await pending[slot].ConfigureAwait(false);
                        sent++;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        // Still queued when the signal came: not sent, not counted.
                        stopped = true;
                    }
                }
                // The first heap, and every --descriptors-th after it, carries the descriptors.
                bool withDescriptors = untilDescriptors == 0;
                untilDescriptors = o.Descriptors > 0 ? (untilDescriptors == 0 ? o.Descriptors - 1 : untilDescriptors - 1) : -1;
                var heap = withDescriptors ? descriptorHeaps[slot] : heaps[slot];
                try
                {
                    pending[slot] = stream.SendHeapAsync(heap, substreamIndex: substream, cancellationToken: heapToken);
                }
                catch (ArgumentException e) when (n == 0)
                {
                    // The heap and the stream check the first heap before it is queued; every later heap has the same
                    // items, so this is where the options are found not to fit the flavour (item IDs or shapes wider
                    // than --addr-bits allows). Say it with the options the user typed.
                    throw NotFitting(o, e);
                }
                inFlight[slot] = true;
                if (live && clock.Elapsed.TotalSeconds - lastProgress >= 0.5)
                {
                    lastProgress = clock.Elapsed.TotalSeconds;
                    output.Write($"\r{Units.Count(sent)} heaps, {Units.Rate(bytes, lastProgress)}   ");
                }
            }
        }
        finally
        {
            for (int i = 0; i < slots; i++)
            {
                if (inFlight[i])
                {
                    inFlight[i] = false;
                    try
                    {
                        bytes += await pending[i].ConfigureAwait(false);
                        sent++;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        // As in the loop: dropped from the queue by the signal.
                        stopped = true;
                    }
                }
            }
        }
        var end = new Heap(flavour);
        end.AddEnd();
        for (int s = 0; s < stream.NumSubstreams; s++)
            bytes += await stream.SendHeapAsync(end, substreamIndex: s, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        double seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (cpu.TotalProcessorTime - cpuStart).TotalSeconds;
        if (live)
            output.WriteLine();
        if (stopped)
            output.WriteLine($"Stopped by a signal{(o.Heaps >= 0 ? $" before --heaps {o.Heaps}" : "")}; the end-of-stream heap was sent.");
        output.WriteLine($"Sent {Units.Count(sent)} heaps, {Units.Count(bytes)} bytes in {seconds:0.000} s: {Units.Rate(bytes, seconds)}, CPU {cpuSeconds:0.00} s");
        return 0;
    }
}
