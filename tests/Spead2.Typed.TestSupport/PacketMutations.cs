using System.Buffers.Binary;
using CsCheck;

namespace Spead2.TestSupport;

/// <summary>What a mutation does to a packet (or, for the list kinds, to a sequence of packets).</summary>
public enum MutationKind
{
    /// <summary>Flip one bit.</summary>
    FlipBit,
    /// <summary>Set one byte to an interesting value.</summary>
    SetByte,
    /// <summary>Overwrite a header word or item pointer with an extreme or random value.</summary>
    SetWord,
    /// <summary>Cut the packet short.</summary>
    Truncate,
    /// <summary>Append junk.</summary>
    Append,
    /// <summary>Lie about the item pointer count.</summary>
    SetItemCount,
    /// <summary>Change the flavour bytes (item pointer and heap address widths).</summary>
    SetFlavour,
    /// <summary>Join the start of the packet to the tail of another one.</summary>
    Splice,
    /// <summary>Repeat one word at the end (repeated pointers).</summary>
    DuplicateWord,
    /// <summary>Drop a packet from the sequence.</summary>
    Remove,
    /// <summary>Send a packet twice.</summary>
    Duplicate,
    /// <summary>Swap two packets.</summary>
    Swap,
    /// <summary>Insert a packet of junk (often with a plausible header).</summary>
    InsertJunk,
}

/// <summary>
/// One generated mutation. Positions are raw numbers reduced modulo the length of whatever they index when applied,
/// so a mutation is plain data: CsCheck can print it, replay it from a seed and shrink it towards small numbers.
/// </summary>
public sealed record Mutation(MutationKind Kind, int Target, int Position, int Other, ulong Word, byte[] Bytes)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind}(target {Target}, at {Position}, other {Other}, word 0x{Word:X16}, bytes {Convert.ToHexString(Bytes)})";
}

/// <summary>CsCheck generators of packet mutations and their application to packets made by a sender.</summary>
public static class PacketMutations
{
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x04, 0x05, 0x53, 0x7F, 0x80, 0xFE, 0xFF];

    // Header words and item pointers at the edges of what the decoder accepts.
    private static readonly ulong[] InterestingWords =
    [
        0, ulong.MaxValue, 1UL << 63, (1UL << 63) - 1, 1UL << 40, (1UL << 40) - 1, 0x8000000000000001UL, 0x8000020000000000UL,
        0x5304030500000000UL, 0x530403050000FFFFUL, 0x8000010000000000UL | 0xFFFFFFFFFFUL, 0x8000030000000000UL | 0xFFFFFFFFFFUL,
        0x8000040000000000UL | 0xFFFFFFFFFFUL, 0x0000050000000000UL | 0xFFFFFFFFFFUL,
    ];

    /// <summary>A word: an interesting constant, an immediate heap-control pointer with a small value, or anything.</summary>
    public static readonly Gen<ulong> Word = Gen.Frequency(
        (3, Gen.Int[0, InterestingWords.Length - 1].Select(i => InterestingWords[i])),
        (1, Gen.Select(Gen.Int[1, 6], Gen.Int[0, (1 << 20) - 1], (id, value) => (1UL << 63) | ((ulong)id << 40) | (uint)value)),
        (2, Gen.ULong));

    private static readonly Gen<MutationKind> PacketKind = Gen.Int[(int)MutationKind.FlipBit, (int)MutationKind.DuplicateWord].Select(k => (MutationKind)k);
    private static readonly Gen<MutationKind> AnyKind = Gen.Int[(int)MutationKind.FlipBit, (int)MutationKind.InsertJunk].Select(k => (MutationKind)k);

    private static Gen<Mutation> Of(Gen<MutationKind> kind) => Gen.Select(
        kind, Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue], Word, Gen.Byte.Array[0, 80],
        (k, target, position, other, word, bytes) => new Mutation(k, target, position, other, word, bytes));

    /// <summary>A mutation of a single packet.</summary>
    public static readonly Gen<Mutation> OfPacket = Of(PacketKind);

    /// <summary>A mutation of a sequence of packets (the single-packet kinds apply to one packet of it).</summary>
    public static readonly Gen<Mutation> OfSequence = Of(AnyKind);

    /// <summary>
    /// <paramref name="packet"/> with <paramref name="mutation"/> applied (a copy; the input is not changed).
    /// <see cref="MutationKind.Splice"/> takes its tail from <paramref name="others"/>.
    /// </summary>
    public static byte[] Apply(byte[] packet, Mutation mutation, IReadOnlyList<byte[]> others)
    {
        var p = (byte[])packet.Clone();
        if (p.Length == 0)
            return mutation.Bytes.Length == 0 ? [(byte)mutation.Other] : mutation.Bytes;
        int at = mutation.Position % p.Length;
        switch (mutation.Kind)
        {
            case MutationKind.FlipBit:
                p[at] ^= (byte)(1 << (mutation.Other % 8));
                return p;
            case MutationKind.SetByte:
                p[at] = InterestingBytes[mutation.Other % InterestingBytes.Length];
                return p;
            case MutationKind.SetWord when p.Length >= 16:
                // The header word stays; one of the first twelve words after it is replaced.
                BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(8 * (1 + mutation.Position % Math.Min(p.Length / 8 - 1, 12))), mutation.Word);
                return p;
            case MutationKind.Truncate:
                return p.AsSpan(0, at).ToArray();
            case MutationKind.Append:
                return [.. p, .. mutation.Bytes.Length == 0 ? [(byte)mutation.Other] : mutation.Bytes.AsSpan(0, Math.Min(mutation.Bytes.Length, 32))];
            case MutationKind.SetItemCount when p.Length >= 8:
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)(mutation.Other % 4 == 0 ? mutation.Other : mutation.Other % 16));
                return p;
            case MutationKind.SetFlavour when p.Length >= 4:
                p[2] = (byte)(mutation.Position % 9);
                p[3] = (byte)(8 - p[2] + (mutation.Other % 4 == 0 ? 1 : 0));
                return p;
            case MutationKind.Splice when others.Count > 0:
                {
                    var other = others[mutation.Other % others.Count];
                    int from = (int)(mutation.Word % (ulong)(other.Length + 1));
                    return [.. p.AsSpan(0, at), .. other.AsSpan(from)];
                }
            case MutationKind.DuplicateWord when p.Length >= 16:
                return [.. p, .. p.AsSpan(8 * (1 + mutation.Position % (p.Length / 8 - 1)), 8)];
            default:
                // A kind that does not fit this packet (too short, nothing to splice with) leaves it as it is.
                return p;
        }
    }

    /// <summary><paramref name="packets"/> with <paramref name="mutation"/> applied (a new list; the packets are not changed).</summary>
    public static List<byte[]> Apply(IReadOnlyList<byte[]> packets, Mutation mutation)
    {
        var list = new List<byte[]>(packets);
        if (list.Count == 0)
        {
            list.Add(Junk(mutation));
            return list;
        }
        int i = mutation.Target % list.Count;
        switch (mutation.Kind)
        {
            case MutationKind.Remove:
                list.RemoveAt(i);
                break;
            case MutationKind.Duplicate:
                list.Insert(mutation.Position % (list.Count + 1), list[i]);
                break;
            case MutationKind.Swap:
                {
                    int j = mutation.Position % list.Count;
                    (list[i], list[j]) = (list[j], list[i]);
                    break;
                }
            case MutationKind.InsertJunk:
                list.Insert(mutation.Position % (list.Count + 1), Junk(mutation));
                break;
            default:
                list[i] = Apply(list[i], mutation, list);
                break;
        }
        return list;
    }

    /// <summary>The packets with each mutation applied in turn.</summary>
    public static List<byte[]> Apply(IReadOnlyList<byte[]> packets, IEnumerable<Mutation> mutations)
    {
        var list = new List<byte[]>(packets);
        foreach (var m in mutations)
            list = Apply(list, m);
        return list;
    }

    // Junk bytes, often behind a plausible header so decoding gets past the first check.
    private static byte[] Junk(Mutation mutation)
    {
        var bytes = (byte[])mutation.Bytes.Clone();
        if (bytes.Length >= 8 && mutation.Other % 2 == 0)
            BinaryPrimitives.WriteUInt64BigEndian(bytes, 0x5304030500000000UL | (uint)(mutation.Other % 8));
        return bytes;
    }
}
