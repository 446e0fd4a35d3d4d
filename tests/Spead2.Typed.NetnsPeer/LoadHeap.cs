using System.Buffers.Binary;
using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;

namespace Spead2.Reliability;

/// <summary>
/// The heap layout the reliability tests and the namespace peer send: who sent it, its place in that sender's
/// sequence, a pseudo-random payload derived from both, and a checksum of the payload. A receiver can then tell
/// a lost, duplicated, reordered or corrupted heap apart from a good one without keeping copies of what was sent.
/// Shared (linked) by the test project and the peer so both sides agree.
/// </summary>
internal static class LoadHeap
{
    public const long SenderItem = 0x1000;
    public const long SequenceItem = 0x1001;
    public const long PayloadItem = 0x1002;
    public const long ChecksumItem = 0x1003;

    /// <summary>Fills <paramref name="payload"/> with bytes that depend on the sender, the sequence number and the position.</summary>
    public static void Fill(Span<byte> payload, int sender, long sequence)
    {
        ulong state = ((ulong)(uint)sender << 40) ^ (ulong)sequence ^ 0x9E3779B97F4A7C15UL;
        int i = 0;
        for (; i + 8 <= payload.Length; i += 8)
        {
            state = Next(state);
            BinaryPrimitives.WriteUInt64LittleEndian(payload.Slice(i), state);
        }
        state = Next(state);
        for (; i < payload.Length; i++)
        {
            payload[i] = (byte)state;
            state >>= 8;
        }
    }

    /// <summary>A 64-bit checksum of the bytes and their count (any single changed, lost or added byte changes it).</summary>
    public static ulong Checksum(ReadOnlySpan<byte> data)
    {
        ulong h = 0xCBF29CE484222325UL ^ (ulong)data.Length;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            h = BitOperations.RotateLeft((h ^ BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i))) * 0xFF51AFD7ED558CCDUL, 29);
        }
        for (; i < data.Length; i++)
        {
            h = (h ^ data[i]) * 0x100000001B3UL;
        }
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }

    /// <summary>
    /// Makes <paramref name="heap"/> (cleared first) the heap <paramref name="sequence"/> of <paramref name="sender"/>,
    /// with <paramref name="length"/> payload bytes written into <paramref name="payload"/>, which the heap references:
    /// it must not be reused before the heap has been sent.
    /// </summary>
    public static void Build(Heap heap, byte[] payload, int length, int sender, long sequence)
    {
        heap.Clear();
        Span<byte> data = payload.AsSpan(0, length);
        Fill(data, sender, sequence);
        heap.AddImmediate(SenderItem, sender);
        heap.AddImmediate(SequenceItem, sequence);
        heap.AddItem(PayloadItem, payload.AsMemory(0, length), allowImmediate: false);
        Span<byte> sum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sum, Checksum(data));
        heap.AddItemCopy(ChecksumItem, sum, allowImmediate: false);
    }

    /// <summary>A new heap for one sender and sequence number, with its own payload array.</summary>
    public static Heap Create(int length, int sender, long sequence, Flavour? flavour = null)
    {
        var heap = new Heap(flavour);
        Build(heap, new byte[length], length, sender, sequence);
        return heap;
    }

    /// <summary>What a received heap says about itself.</summary>
    /// <param name="Sender">The sender id item.</param>
    /// <param name="Sequence">The sequence number item.</param>
    /// <param name="Length">Payload bytes received.</param>
    /// <param name="Intact">Whether the payload matches its checksum and the expected bytes.</param>
    public readonly record struct Parsed(int Sender, long Sequence, int Length, bool Intact);

    /// <summary>Reads a received heap; false if it is not one of ours (missing items).</summary>
    public static bool TryParse(ReceivedHeap heap, out Parsed parsed)
    {
        parsed = default;
        if (!heap.TryGetItem(SenderItem, out ReceivedItem sender) || !sender.IsImmediate
            || !heap.TryGetItem(SequenceItem, out ReceivedItem sequence) || !sequence.IsImmediate
            || !heap.TryGetItem(PayloadItem, out ReceivedItem payload)
            || !heap.TryGetItem(ChecksumItem, out ReceivedItem sum))
        {
            return false;
        }
        ReadOnlySpan<byte> data = payload.Span;
        bool intact = sum.Span.Length == 8
            && BinaryPrimitives.ReadUInt64BigEndian(sum.Span) == Checksum(data)
            && StartsAsExpected(data, (int)sender.ImmediateValue, sequence.ImmediateValue);
        parsed = new Parsed((int)sender.ImmediateValue, sequence.ImmediateValue, data.Length, intact);
        return true;
    }

    // The checksum travels in the heap, so also check that the payload is the one this sender and sequence
    // number make: a heap whose items were mixed up with another heap's would otherwise pass.
    private static bool StartsAsExpected(ReadOnlySpan<byte> data, int sender, long sequence)
    {
        Span<byte> expected = stackalloc byte[64];
        int n = Math.Min(64, data.Length);
        Fill(expected.Slice(0, n), sender, sequence);
        return data.Slice(0, n).SequenceEqual(expected.Slice(0, n));
    }

    private static ulong Next(ulong x)
    {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    }
}
