using BenchmarkDotNet.Attributes;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Typed;

namespace Spead2.Benchmarks;

/// <summary>An X-engine style record: scalars and 1 MiB of visibilities whose shape is set at run time.</summary>
public partial record struct BenchXeng(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Bits = 48)] ulong Frequency,
    [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, 2 }, ByteOrder = SpeadByteOrder.LittleEndian)] int[] XengRaw);

/// <summary>
/// Typed receive of an assembled heap (values only, descriptors already seen): <see cref="HeapReader{T}.TryRead"/>
/// allocates a new 1 MiB array per heap, <see cref="HeapReader{T}.TryReadInto"/> fills the caller's and must show
/// 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class TypedReceiveBenchmarks
{
    private const int Channels = 256;
    private const int Baselines = 512; // 256 x 512 x 2 x 4 bytes = 1 MiB

    private HeapReader<BenchXeng> _reader = null!;
    private ReceivedHeap _heap = null!;
    private BenchXeng _buffer;

    [GlobalSetup]
    public void Setup()
    {
        var shapes = new SpeadShapes { { nameof(BenchXeng.XengRaw), Channels, Baselines, 2 } };
        var generator = new HeapWriter<BenchXeng>(shapes);
        _reader = new HeapReader<BenchXeng>(shapes);
        var vis = new int[Channels * Baselines * 2];
        _buffer = new BenchXeng(0, 0, new int[vis.Length]);
        if (!_reader.TryReadInto(Assemble(generator.GetHeap(new BenchXeng(1, 2, vis))), ref _buffer))
            throw new InvalidOperationException("The descriptor heap did not read.");
        _heap = Assemble(generator.GetHeap(new BenchXeng(3, 4, vis)));
    }

    private static ReceivedHeap Assemble(Heap heap)
    {
        var assembler = new HeapAssembler();
        var ready = new List<ReceivedHeap>();
        var packets = new Packetizer(heap, 1, 8972);
        var buffer = new byte[9000];
        while (packets.HasNextPacket)
            assembler.AddPacket(buffer.AsSpan(0, packets.NextPacket(buffer)), ready);
        assembler.Flush(ready);
        return ready[0];
    }

    [Benchmark(Baseline = true)]
    public int TryReadAllocating() => _reader.TryRead(_heap, out var value) ? value.XengRaw.Length : 0;

    [Benchmark]
    public int TryReadIntoCallerBuffer() => _reader.TryReadInto(_heap, ref _buffer) ? _buffer.XengRaw.Length : 0;
}
