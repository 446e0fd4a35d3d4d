using System.Buffers.Binary;
using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Tests.Support;

/// <summary>A tiny independent SPEAD encoder for expected bytes (like spead2's test helpers), plus heap builders.</summary>
internal static class SpeadWire
{
    public static byte[] Header(int hab, int pointers)
    {
        var b = new byte[8];
        ulong v = (0x5304UL << 48) | ((ulong)(8 - hab / 8) << 40) | ((ulong)(hab / 8) << 32) | (uint)pointers;
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    public static byte[] Immediate(int hab, long id, long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, (1UL << 63) | ((ulong)id << hab) | (ulong)value);
        return b;
    }

    public static byte[] Address(int hab, long id, long address)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, ((ulong)id << hab) | (ulong)address);
        return b;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

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
