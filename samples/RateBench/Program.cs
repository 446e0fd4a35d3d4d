// RateBench: how well the pacer holds a requested rate on loopback.
//
// For each requested rate it sends 1 MiB heaps over UDP to a sink socket on 127.0.0.1 for a few seconds and prints
// the requested rate, the rate achieved by the sender (SPEAD bytes handed to the socket per second, timed between
// batches: the least-squares slope of "bytes sent before this batch" against the batch's time, which is what the
// pacer controls and is not skewed by the first and last bursts), the overall rate (all bytes over the wall-clock time from the first send to the last completion,
// which also counts the partial last burst), the rate the sink received, and the largest burst: the most bytes the
// writer released without a pause of at least a quarter of the nominal burst interval. A burst near BurstSize means
// the pacer spread the traffic evenly; a much larger one means the sender fell behind and caught up (or, when the
// achieved rate is below the requested one, that the sender itself is the bottleneck and never pauses).
//
// Usage: dotnet run -c Release --project samples/RateBench [-- [--seconds S] [--packet BYTES] [--no-sink] [--rates GBPS,...] [--ratio R]]
// --no-sink leaves the destination socket unread (the kernel drops what overflows it), so that on a small machine
// the receiving thread does not compete with the sender for CPU.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Spead2.Send;

double seconds = 3.0;
int packetSize = 1472;
bool readSink = true;
double ratio = StreamConfig.DefaultBurstRateRatio;
double[] ratesGbps = [1, 5, 20];
for (int a = 0; a < args.Length; a++)
{
    switch (args[a])
    {
        case "--seconds":
            seconds = double.Parse(args[++a], CultureInfo.InvariantCulture);
            break;
        case "--packet":
            packetSize = int.Parse(args[++a], CultureInfo.InvariantCulture);
            break;
        case "--ratio":
            ratio = double.Parse(args[++a], CultureInfo.InvariantCulture);
            break;
        case "--no-sink":
            readSink = false;
            break;
        case "--rates":
            ratesGbps = args[++a].Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            break;
        default:
            Console.Error.WriteLine($"Unknown argument {args[a]}");
            return 2;
    }
}
const int heapSize = 1 << 20;
const int inFlight = 8;

Console.WriteLine($"RateBench: UDP to 127.0.0.1 ({(readSink ? "sink reads" : "sink not read")}), {heapSize >> 10} KiB heaps, {packetSize}-byte packets, {seconds} s per rate, " +
                  $"BurstSize {StreamConfig.DefaultBurstSize}, BurstRateRatio {ratio}");
Console.WriteLine($"{"requested",12} {"achieved",12} {"error",9} {"overall",12} {"received",12} {"largest burst",16} {"bursts",8}");

foreach (double gbps in ratesGbps)
{
    Result r = Run(gbps * 1e9 / 8, seconds, packetSize, readSink, ratio);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{gbps,9:F2} Gb/s {r.AchievedBps * 8 / 1e9,7:F4} Gb/s {(r.AchievedBps / (gbps * 1e9 / 8) - 1) * 100,8:+0.000;-0.000}% " +
        $"{r.OverallBps * 8 / 1e9,7:F4} Gb/s " +
        $"{r.ReceivedBps * 8 / 1e9,7:F3} Gb/s {r.LargestBurst,10} B ({r.LargestBurst / (double)StreamConfig.DefaultBurstSize,4:F1}x) {r.Bursts,8}"));
}
return 0;

static Result Run(double bytesPerSecond, double seconds, int packetSize, bool readSink, double ratio)
{
    using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    sink.ReceiveBufferSize = 16 << 20;
    sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    long received = 0;
    using var stopSink = new CancellationTokenSource();
    var sinkThread = new Thread(() =>
    {
        var buffer = new byte[65536];
        sink.ReceiveTimeout = 200;
        while (!stopSink.IsCancellationRequested)
        {
            try
            {
                Interlocked.Add(ref received, sink.Receive(buffer));
            }
            catch (SocketException)
            {
                // timeout: check for the end
            }
        }
    })
    { IsBackground = true, Name = "sink" };
    if (readSink)
    {
        sinkThread.Start();
    }

    // Batch times and sizes, recorded on the writer thread through the public metrics.
    var batchTimes = new long[1 << 22];
    var batchBytes = new long[1 << 22];
    int batches = 0;
    using var listener = new MeterListener();
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Meter.Name == "Spead2.Send" && instrument.Name == "spead2.send.bytes")
        {
            l.EnableMeasurementEvents(instrument);
        }
    };
    listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
    {
        int i = batches;
        if (i < batchTimes.Length)
        {
            batchTimes[i] = Stopwatch.GetTimestamp();
            batchBytes[i] = value;
            batches = i + 1;
        }
    });
    listener.Start();

    var config = new StreamConfig { Rate = bytesPerSecond, MaxPacketSize = packetSize, MaxHeaps = inFlight, BurstRateRatio = ratio };
    var heaps = new Heap[inFlight];
    for (int i = 0; i < inFlight; i++)
    {
        heaps[i] = new Heap();
        heaps[i].AddItem(0x1000, (ReadOnlyMemory<byte>)new byte[heapSize], allowImmediate: false);
    }

    long sent = 0;
    long start, end;
    using (var stream = new UdpStream([(IPEndPoint)sink.LocalEndPoint!], config, new UdpStreamOptions { BufferSize = 4 << 20 }))
    {
        var pending = new Queue<ValueTask<long>>();
        start = Stopwatch.GetTimestamp();
        long stopAt = start + (long)(seconds * Stopwatch.Frequency);
        int next = 0;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            if (pending.Count == inFlight)
            {
                sent += pending.Dequeue().AsTask().GetAwaiter().GetResult();
            }
            pending.Enqueue(stream.SendHeapAsync(heaps[next]));
            next = (next + 1) % inFlight;
        }
        while (pending.Count > 0)
        {
            sent += pending.Dequeue().AsTask().GetAwaiter().GetResult();
        }
        end = Stopwatch.GetTimestamp();
    }
    listener.Dispose();
    Thread.Sleep(300);
    stopSink.Cancel();
    if (readSink)
    {
        sinkThread.Join();
    }

    // Overall: all bytes over the wall-clock time (the first burst leaves at once, so it is not counted).
    double elapsed = (end - start) / (double)Stopwatch.Frequency;
    long firstBurst = batches > 0 ? batchBytes[0] : 0;
    double overall = (sent - firstBurst) / elapsed;

    // Bursts: runs of batches separated by less than a quarter of the nominal interval between bursts.
    double interval = StreamConfig.DefaultBurstSize / bytesPerSecond * Stopwatch.Frequency;
    long largest = 0, current = 0;
    int bursts = 0;
    for (int i = 0; i < batches; i++)
    {
        if (i > 0 && batchTimes[i] - batchTimes[i - 1] >= interval / 4)
        {
            largest = Math.Max(largest, current);
            current = 0;
            bursts++;
        }
        current += batchBytes[i];
    }
    largest = Math.Max(largest, current);
    // Achieved: the pacer releases burst k once the bytes before it have "cost" their time, so the points
    // (time of batch i, bytes before batch i) lie on a line whose slope is the paced rate.
    double sx = 0, sy = 0, sxx = 0, sxy = 0, cumulative = 0;
    for (int i = 0; i < batches; i++)
    {
        double x = (batchTimes[i] - batchTimes[0]) / (double)Stopwatch.Frequency;
        sx += x;
        sy += cumulative;
        sxx += x * x;
        sxy += x * cumulative;
        cumulative += batchBytes[i];
    }
    double achieved = batches > 2 ? (batches * sxy - sx * sy) / (batches * sxx - sx * sx) : overall;
    return new Result(achieved, overall, Interlocked.Read(ref received) / elapsed, largest, bursts + 1);
}

internal readonly record struct Result(double AchievedBps, double OverallBps, double ReceivedBps, long LargestBurst, int Bursts);
