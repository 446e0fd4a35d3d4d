using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Spead2.Send;

namespace Spead2.Benchmarks;

/// <summary>
/// The whole public send path: heap → UdpStream queue → writer thread (pacer, packet generation) →
/// batch sender → kernel, one 1 MiB heap per operation, to a bound 127.0.0.1 socket nobody reads (the
/// kernel drops what overflows its receive buffer). Sync and async must both read 0 B allocated:
/// the memory diagnoser counts every thread, the writer's included.
/// </summary>
[MemoryDiagnoser]
public class StreamSendBenchmarks
{
    private Socket? _sink;
    private UdpStream? _stream;
    private readonly Heap _heap = new();
    private byte[] _data = [];

    [Params(1472, 8972)]
    public int PacketSize { get; set; }

    /// <summary><see cref="StreamConfig.AllowSynchronousContinuations"/>: continuations on the writer thread.</summary>
    [Params(false, true)]
    public bool SynchronousContinuations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _stream = new UdpStream([(IPEndPoint)_sink.LocalEndPoint!], new StreamConfig { MaxPacketSize = PacketSize, AllowSynchronousContinuations = SynchronousContinuations });
        _data = new byte[1024 * 1024];
        new Random(1).NextBytes(_data);
        _heap.AddImmediate(0x1600, 1);
        _heap.AddItem(0x1601, _data);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stream?.Dispose();
        _sink?.Dispose();
    }

    [Benchmark]
    public long SendHeap() => _stream!.SendHeap(_heap);

    [Benchmark]
    public ValueTask<long> SendHeapAsync() => _stream!.SendHeapAsync(_heap);

    /// <summary>
    /// 16 heaps awaited one after another inside one pooled async method, so the harness's own cost of
    /// awaiting a ValueTask is spread over 16 sends: what is left is the library's per-heap allocation.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 16)]
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> SendHeapAsyncAwaitLoop()
    {
        long total = 0;
        for (int i = 0; i < 16; i++)
            total += await _stream!.SendHeapAsync(_heap);
        return total;
    }
}
