using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Tests.Support;

/// <summary>Heaps of the library for the send tests (expected bytes come from <see cref="Spead2.TestSupport.RefEncoder"/>).</summary>
internal static class TestHeaps
{
    /// <summary>Deterministic, position-dependent bytes so that misplaced data is noticed.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var b = new byte[length];
        uint x = (uint)seed * 2654435761u + 12345;
        for (int i = 0; i < length; i++)
        {
            x = x * 1664525 + 1013904223;
            b[i] = (byte)(x >> 24);
        }
        return b;
    }

    /// <summary>A heap with one addressed item 0x1000 holding <paramref name="value"/>.</summary>
    public static Heap HeapOf(byte[] value, Flavour? flavour = null, long id = 0x1000)
    {
        var heap = new Heap(flavour);
        heap.AddItem(id, (ReadOnlyMemory<byte>)value, allowImmediate: false);
        return heap;
    }

    public static Heap HeapOf(int length, int seed, Flavour? flavour = null) => HeapOf(Pattern(length, seed), flavour);
}
