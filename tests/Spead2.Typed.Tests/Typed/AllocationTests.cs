using System.Numerics;
using Spead2.Protocol;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

/// <summary>
/// Building a typed heap into a reused <see cref="Heap"/> and packetising it into a reused buffer allocates
/// nothing once warmed up (measured with the per-thread allocation counter, so other threads do not interfere).
/// </summary>
/// <remarks>
/// Runs alone (<see cref="AllocationCollection"/>): a <see cref="Descriptor"/> caches its encoding for one flavour,
/// and other test classes encode the same static descriptors of <see cref="Everything"/> with SPEAD-64-48 at the
/// same time, which evicts the cache and makes this thread re-encode (a flaky 17,200 B in one run of 1000 heaps).
/// </remarks>
[Collection(AllocationCollection.Name)]
public class AllocationTests
{
    private static readonly Everything Value = new(
        U8: 1, I8: -1, I16: -2, U16: 2, I32: -3, U32: 3, I64: -4, U64: 4, I12: 5, U40: 6, Flag: true, F32: 1.5f, F64: 2.5,
        F16: (Half)0.5, C128: new Complex(1, 2), Mode: Mode.Track, Band: "L-001", Comment: "a comment longer than an immediate",
        Counts: new[] { 1, 2, 3 }, Weights: new[] { 0.5, 0.25 }, Raw: new byte[100], Payload: new byte[3000], Rows: new sbyte[8],
        Spectrum: new Complex[2], Flags: new bool[3], Halves: new Half[2], History: new Mode[2], Tiny: new uint[1]);

    private static long Measure(int iterations, Action<int> body)
    {
        for (var i = 0; i < 10; i++)
        {
            body(i); // warm-up: JIT, heap storage and entry arrays grow to their steady size, descriptor encodings are cached
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < iterations; i++)
        {
            body(i);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public void BuildingAndPacketisingAllocatesNothing(int? descriptorFrequency)
    {
        var generator = new HeapWriter<Everything>(descriptorFrequency);
        var heap = new Heap(generator.Flavour);
        var packet = new byte[1472];
        long sent = 0;

        var allocated = Measure(1000, i =>
        {
            heap.Clear();
            generator.AddToHeap(Value, heap);
            var packets = new Packetizer(heap, i + 1, packet.Length);
            while (packets.HasNextPacket)
            {
                sent += packets.NextPacket(packet);
            }
        });

        Assert.True(sent > 0);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AddItemsAllocatesNothing()
    {
        var heap = new Heap();
        var allocated = Measure(1000, _ =>
        {
            heap.Clear();
            Everything.AddItems(Value, heap);
        });
        Assert.Equal(0, allocated);
        Assert.Equal(Everything.Descriptors.Count, heap.Count);
    }

    [Fact]
    public void TheMeasurementSeesAllocations()
    {
        // Guards the guard: the same measurement must notice a heap that is not reused.
        var generator = new HeapWriter<Everything>();
        var allocated = Measure(10, _ => generator.GetHeap(Value));
        Assert.True(allocated > 0);
    }
}

/// <summary>Allocation measurements run after the parallel tests, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation measurements";
}
