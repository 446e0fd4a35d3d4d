using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Spead2.Send;

namespace Spead2.Benchmarks;

/// <summary>
/// Heaps of one packet each (1 KiB and 8 KiB, as instruments that send a heap per packet do), through the public
/// send path to a bound 127.0.0.1 socket nobody reads, awaited one after another with four in flight as a sender
/// loop keeps them. Every thread's allocations count (the I/O thread's and the completion drain's included): the
/// target is 0 B per heap, with continuations on the thread pool (the default) and on the I/O thread.
/// </summary>
[MemoryDiagnoser]
public class SinglePacketSendBenchmarks
{
    private const int HeapsPerInvoke = 256;
    private Socket? _sink;
    private UdpStream? _stream;
    private readonly Heap[] _heaps = new Heap[4];
    private readonly ValueTask<long>[] _pending = new ValueTask<long>[4];

    [Params(1024, 8192)]
    public int HeapSize { get; set; }

    /// <summary><see cref="StreamConfig.AllowSynchronousContinuations"/>: continuations on the I/O thread.</summary>
    [Params(false, true)]
    public bool SynchronousContinuations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _stream = new UdpStream([(IPEndPoint)_sink.LocalEndPoint!],
            new StreamConfig { MaxPacketSize = 9000, AllowSynchronousContinuations = SynchronousContinuations });
        byte[] data = new byte[HeapSize];
        new Random(1).NextBytes(data);
        for (int i = 0; i < _heaps.Length; i++)
        {
            _heaps[i] = new Heap();
            _heaps[i].AddItem(0x1600, data);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stream?.Dispose();
        _sink?.Dispose();
    }

    /// <summary>A sender loop: four heaps in flight, each slot refilled when its previous send completed.</summary>
    [Benchmark(OperationsPerInvoke = HeapsPerInvoke)]
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> AwaitedSendsFourInFlight()
    {
        long total = 0;
        for (int i = 0; i < HeapsPerInvoke; i++)
        {
            int slot = i & 3;
            if (i >= 4)
            {
                total += await _pending[slot];
            }
            _pending[slot] = _stream!.SendHeapAsync(_heaps[slot]);
        }
        for (int i = HeapsPerInvoke - 4; i < HeapsPerInvoke; i++)
        {
            total += await _pending[i & 3];
        }
        return total;
    }
}
