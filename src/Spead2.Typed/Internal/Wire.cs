using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Spead2.Internal;

/// <summary>Writers for the fixed parts of a SPEAD packet; all fields are big-endian.</summary>
internal static class Wire
{
    /// <summary>Magic 0x53 and version 4 in the top 16 bits of every header.</summary>
    public const ulong MagicVersion = 0x5304;

    /// <summary>The header: magic, version, ID width (including the mode bit), address width, pointer count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteHeader(Span<byte> destination, int immediateBytes, int pointers) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, Header(immediateBytes, pointers));

    /// <summary>The first 8 bytes of a packet, as a number (written big-endian).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Header(int immediateBytes, int pointers) =>
        (MagicVersion << 48) | ((ulong)(8 - immediateBytes) << 40) | ((ulong)immediateBytes << 32) | (uint)pointers;

    /// <summary>
    /// Writes <paramref name="value"/> big-endian at <paramref name="offset"/> bytes from <paramref name="destination"/>,
    /// without a bounds check: the caller has checked that 8 bytes fit there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteWordUnchecked(ref byte destination, int offset, ulong value) =>
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, offset), BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Immediate(int heapAddressBits, long id, ulong value) =>
        (1UL << 63) | ((ulong)id << heapAddressBits) | value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteImmediate(Span<byte> destination, int heapAddressBits, long id, ulong value) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, Immediate(heapAddressBits, id, value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteAddressed(Span<byte> destination, int heapAddressBits, long id, long address) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, ((ulong)id << heapAddressBits) | (ulong)address);

    /// <summary>Writes the low <c>destination.Length</c> bytes of <paramref name="value"/>, big-endian.</summary>
    public static void WriteBigEndian(Span<byte> destination, ulong value)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)value;
            value >>= 8;
        }
    }
}
