using BenchmarkDotNet.Attributes;
using Spead2.Send;
using Spead2.Send.Engine;

namespace Spead2.Benchmarks;

/// <summary>
/// Splitting one heap into packets, per heap size and packet size. ZeroCopy is what the UDP path does
/// (headers into scratch, payload taken as segments of item memory); Copy writes whole packets (payload
/// copied), as the byte-stream and TCP paths may. Allocated bytes must read 0.
/// </summary>
[MemoryDiagnoser]
public class PacketGenerationBenchmarks
{
    private readonly Heap _heap = new();
    private byte[] _data = [];
    private readonly byte[] _packet = new byte[9000];
    private long _cnt;

    [Params(64 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    public int HeapSize { get; set; }

    [Params(1472, 8972)]
    public int PacketSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[HeapSize];
        new Random(1).NextBytes(_data);
        _heap.Clear();
        _heap.AddImmediate(0x1600, 123456789);
        _heap.AddItem(0x1601, _data);
    }

    [Benchmark(Baseline = true)]
    public long ZeroCopy()
    {
        var gen = new Packetizer(_heap, ++_cnt & 0xFFFFFF, PacketSize);
        long total = 0;
        while (gen.HasNextPacket)
        {
            total += gen.NextPacketHeader(_packet, out _);
            while (gen.TryGetPayloadSegment(out var segment))
                total += segment.Length;
        }
        return total;
    }

    [Benchmark]
    public long Copy()
    {
        var gen = new Packetizer(_heap, ++_cnt & 0xFFFFFF, PacketSize);
        long total = 0;
        while (gen.HasNextPacket)
            total += gen.NextPacket(_packet);
        return total;
    }
}
