using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Spead2.Send;
using Spead2.Typed;

namespace Spead2.Benchmarks;

/// <summary>A typical typed record: a 48-bit timestamp, 1 MiB of visibilities and a short string.</summary>
public partial record BenchDump(
    [SpeadItem(0x1600, Description = "ADC sample count of the first sample", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Description = "Visibilities", Shape = new[] { 131072, 2 })] float[] Vis,
    [SpeadItem(0x1801, Description = "Source name")] string Source);

/// <summary>
/// The typed layer: building a heap from a record with the generated code (descriptors only when stale),
/// and the whole typed send (record → pooled heap → UdpStream → batch sender) to a bound 127.0.0.1 socket
/// nobody reads. Steady state must allocate 0 B.
/// </summary>
[MemoryDiagnoser]
public class TypedBenchmarks
{
    private readonly HeapWriter<BenchDump> _generator = new();
    private readonly Heap _heap = new();
    private BenchDump _dump = null!;
    private Socket? _sink;
    private UdpStream? _stream;

    [GlobalSetup]
    public void Setup()
    {
        _dump = new BenchDump(0, new float[131072 * 2], "3C273");
        _generator.AddToHeap(_dump, _heap);   // descriptors go once; later heaps carry values only
        _sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _stream = new UdpStream([(IPEndPoint)_sink.LocalEndPoint!]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stream?.Dispose();
        _sink?.Dispose();
    }

    [Benchmark]
    public int BuildTypedHeap()
    {
        _heap.Clear();
        _generator.AddToHeap(_dump, _heap);
        return _heap.Count;
    }

    [Benchmark]
    public long SendTyped() => _stream!.Send(_generator, _dump);

    /// <summary>16 sends awaited in one pooled async method, so the harness's per-await cost is spread out.</summary>
    [Benchmark(OperationsPerInvoke = 16)]
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> SendTypedAsyncAwaitLoop()
    {
        long total = 0;
        for (int i = 0; i < 16; i++)
            total += await _stream!.SendAsync(_generator, _dump);
        return total;
    }
}
