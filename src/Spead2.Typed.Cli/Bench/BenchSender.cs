using System.Diagnostics;
using System.Net;
using Spead2.Send;

namespace Spead2.Cli.Bench;

/// <summary>
/// The public send path as the benchmarks drive it: a <see cref="UdpStream"/> with <see cref="InFlight"/> heaps
/// queued through <c>SendHeapAsync</c>, each heap object refilled once its send has completed. Each heap is a 64-bit
/// timestamp immediate and one data item; nothing is allocated per heap.
/// </summary>
internal sealed class BenchSender : IDisposable
{
    /// <summary>Heaps in flight, and the stream's MaxHeaps.</summary>
    public const int InFlight = 8;

    private const long TimestampId = 0x1600;
    private const long DataId = 0x1601;

    private readonly UdpStream _stream;
    private readonly Heap[] _heaps = new Heap[InFlight];
    private readonly ValueTask<long>[] _pending = new ValueTask<long>[InFlight];
    private readonly byte[] _data;
    private long _timestamp;

    /// <param name="sink">Where the packets go.</param>
    /// <param name="heapSize">Bytes of the data item.</param>
    /// <param name="packetSize">StreamConfig.MaxPacketSize.</param>
    /// <param name="path">The system calls the stream uses.</param>
    /// <param name="rateGbps">The pacer's rate in Gb/s; 0 sends as fast as possible.</param>
    /// <param name="burstRateRatio">StreamConfig.BurstRateRatio.</param>
    /// <param name="inlineContinuations">StreamConfig.AllowSynchronousContinuations.</param>
    /// <param name="bufferSize">The socket's send buffer.</param>
    /// <param name="streamName">StreamConfig.StreamName, which tags the stream's metrics (see <see cref="SendMeter"/>).</param>
    public BenchSender(IPEndPoint sink, int heapSize, int packetSize, SendPath path, double rateGbps = 0,
        double burstRateRatio = StreamConfig.DefaultBurstRateRatio, bool inlineContinuations = false, int bufferSize = UdpStream.DefaultBufferSize,
        string? streamName = null)
    {
        var config = new StreamConfig
        {
            MaxPacketSize = packetSize,
            MaxHeaps = InFlight,
            Rate = rateGbps * 1e9 / 8,
            BurstRateRatio = burstRateRatio,
            AllowSynchronousContinuations = inlineContinuations,
            StreamName = streamName,
        };
        _stream = SendPaths.Open(sink, config, bufferSize, path);
        // Pinned: the stream's zero-copy writer points the kernel at item memory; random so that nothing on the way
        // can shortcut runs of equal bytes.
        _data = GC.AllocateUninitializedArray<byte>(heapSize, pinned: true);
        new Random(42).NextBytes(_data);
        for (int i = 0; i < InFlight; i++)
            _heaps[i] = new Heap();
        Description = $"UdpStream.SendHeapAsync, {InFlight} heaps in flight, {SendPaths.Describe(path)}, continuations " +
            (inlineContinuations ? "on the writer thread" : "on the thread pool");
    }

    /// <summary>What is being measured, for the report.</summary>
    public string Description { get; }

    /// <summary>
    /// Sends <paramref name="heaps"/> heaps, or for <paramref name="duration"/> when that is positive, and waits for
    /// all of them; returns the heaps sent and the SPEAD bytes their sends reported.
    /// </summary>
    public async Task<(long Heaps, long Bytes)> RunAsync(long heaps, TimeSpan duration)
    {
        long bytes = 0;
        long sent = 0;
        long start = Stopwatch.GetTimestamp();
        for (long h = 0; duration > TimeSpan.Zero ? Stopwatch.GetElapsedTime(start) < duration : h < heaps; h++)
        {
            int slot = (int)(h % InFlight);
            if (h >= InFlight)
                bytes += await _pending[slot].ConfigureAwait(false);
            Heap heap = _heaps[slot];
            heap.Clear();
            heap.AddImmediate(TimestampId, ++_timestamp);
            heap.AddItem(DataId, _data);
            _pending[slot] = _stream.SendHeapAsync(heap);
            sent++;
        }
        for (long h = Math.Max(0, sent - InFlight); h < sent; h++)
            bytes += await _pending[(int)(h % InFlight)].ConfigureAwait(false);
        return (sent, bytes);
    }

    public void Dispose() => _stream.Dispose();
}
