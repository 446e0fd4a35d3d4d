using BenchmarkDotNet.Attributes;
using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Benchmarks;

/// <summary>
/// Filling a reused heap the way a sending loop does: a timestamp, a few small copied values, a big
/// array by reference and, now and then, a descriptor (cached encoding). Steady state must allocate 0 B.
/// </summary>
[MemoryDiagnoser]
public class HeapBuildingBenchmarks
{
    private readonly Heap _heap = new();
    private readonly float[] _samples = new float[256 * 1024];
    private readonly Descriptor _descriptor = new(0x1601, "samples", "raw samples", [256 * 1024], "<f4");
    private long _timestamp;

    [Benchmark]
    public int BuildDataHeap()
    {
        _heap.Clear();
        _heap.AddImmediate(0x1600, ++_timestamp & 0xFFFFFFFF);
        Span<byte> scalar = stackalloc byte[8];
        BitConverter.TryWriteBytes(scalar, _timestamp * 3);
        _heap.AddItemCopy(0x1602, scalar);
        _heap.AddItemCopy(0x1603, scalar[..4]);
        _heap.AddItem<float>(0x1601, _samples);
        return _heap.Count;
    }

    [Benchmark]
    public int BuildHeapWithDescriptor()
    {
        _heap.Clear();
        _heap.AddDescriptor(_descriptor);
        _heap.AddImmediate(0x1600, ++_timestamp & 0xFFFFFFFF);
        _heap.AddItem<float>(0x1601, _samples);
        return _heap.Count;
    }
}
