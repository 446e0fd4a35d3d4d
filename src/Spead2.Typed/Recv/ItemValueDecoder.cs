using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Turns a received item's bytes into a .NET value the way spead2's Python <c>set_from_raw</c>
/// reads them; the inverse of what an <see cref="Item"/> sends.
/// <list type="bullet">
/// <item>A numpy dtype gives its element type (<c>bool</c>, <c>sbyte</c> … <c>ulong</c>,
/// <c>Half</c>, <c>float</c>, <c>double</c>, <see cref="Complex"/>; <c>S1</c> gives <c>byte</c>,
/// <c>S</c>n an ASCII <c>string</c> without trailing NULs) in the declared byte order.</item>
/// <item>A format reads fields MSB first: <c>u</c>/<c>i</c> of up to 8/16/32/64 bits give
/// <c>byte</c>/<c>ushort</c>/<c>uint</c>/<c>ulong</c> (<c>sbyte</c>/<c>short</c>/<c>int</c>/<c>long</c>),
/// <c>b</c> <c>bool</c>, <c>c</c> <c>char</c> (ASCII only), <c>f</c> <c>float</c>/<c>double</c>; a multi-field
/// element is a <see cref="FieldValues"/>; a one-dimensional <c>c8</c> item is a <c>string</c>.</item>
/// <item>Shape <c>()</c> gives the element itself, one dimension a <c>T[]</c>, more a rectangular
/// <c>T[,]</c>… (indices as in the shape, whatever the memory order). A variable dimension takes
/// as many whole elements as the bytes hold.</item>
/// <item>An immediate's value is in the <em>last</em> bytes of its field; an addressed item's in
/// its first bytes (extra bytes after it are ignored, as in spead2).</item>
/// </list>
/// </summary>
public static class ItemValueDecoder
{
    /// <summary>Largest rank decoded into a rectangular array.</summary>
    public const int MaxRank = 8;

    /// <summary>Decodes a received item under its descriptor.</summary>
    /// <param name="descriptor">The item's descriptor.</param>
    /// <param name="item">The received item.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The bytes do not hold a value of that shape and type.</exception>
    public static object Decode(Descriptor descriptor, in ReceivedItem item) =>
        Decode(descriptor, item.Span, item.IsImmediate);

    /// <summary>Decodes raw value bytes under a descriptor.</summary>
    /// <param name="descriptor">The item's descriptor.</param>
    /// <param name="raw">The item's bytes.</param>
    /// <param name="isImmediate">Whether they came from an immediate (the value is right-aligned).</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidDataException">The bytes do not hold a value of that shape and type.</exception>
    public static object Decode(Descriptor descriptor, ReadOnlySpan<byte> raw, bool isImmediate)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return descriptor.NumpyType is { } dtype
            ? DecodeDtype(descriptor, dtype, raw, isImmediate)
            : DecodeFormat(descriptor, descriptor.FormatArray!, raw, isImmediate);
    }

    /// <summary>Like <see cref="Decode(Descriptor, in ReceivedItem)"/> but reports failure instead of throwing.</summary>
    /// <param name="descriptor">The item's descriptor.</param>
    /// <param name="item">The received item.</param>
    /// <param name="value">The value on success.</param>
    /// <param name="error">Why it failed, otherwise null.</param>
    /// <returns>Whether decoding succeeded.</returns>
    public static bool TryDecode(Descriptor descriptor, in ReceivedItem item,
        [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? error)
    {
        try
        {
            value = Decode(descriptor, item);
            error = null;
            return true;
        }
        catch (InvalidDataException e)
        {
            value = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The bytes that hold the value: the last <c>size</c> bytes of an immediate, the first
    /// <c>size</c> bytes of an addressed item, where <c>size</c> is what the shape (a variable
    /// dimension resolved from the available bytes) and the element size call for.
    /// </summary>
    /// <param name="descriptor">The item's descriptor.</param>
    /// <param name="item">The received item.</param>
    /// <param name="elements">The number of elements.</param>
    /// <returns>The value bytes.</returns>
    /// <exception cref="InvalidDataException">There are too few bytes.</exception>
    public static ReadOnlySpan<byte> GetValueBytes(Descriptor descriptor, in ReceivedItem item, out long elements)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        long bitsPerElement = ElementBits(descriptor);
        var raw = item.Span;
        _ = ResolveShape(descriptor, raw.Length * 8L / bitsPerElement, out elements);
        long bytes = (elements * bitsPerElement + 7) / 8;
        return item.IsImmediate ? raw.Slice(raw.Length - (int)bytes) : raw.Slice(0, (int)bytes);
    }

    /// <summary>
    /// Copies dtype elements into a typed span without boxing, swapping each element's bytes when
    /// the data's byte order is not the machine's. For generated decoders; complex values are
    /// copied as pairs of <c>float</c> or <c>double</c>.
    /// </summary>
    /// <typeparam name="T">A 1, 2, 4 or 8-byte primitive matching the dtype (e.g. <c>ushort</c> for <c>u2</c>).</typeparam>
    /// <param name="valueBytes">The value bytes (see <see cref="GetValueBytes"/>).</param>
    /// <param name="destination">Exactly <c>valueBytes.Length / sizeof(T)</c> elements.</param>
    /// <param name="bigEndian">Whether the data is big-endian (the dtype's <c>&gt;</c>; formats are always big-endian).</param>
    /// <exception cref="ArgumentException">The sizes do not match, or <typeparamref name="T"/> is not 1, 2, 4 or 8 bytes.</exception>
    public static void CopyElements<T>(ReadOnlySpan<byte> valueBytes, Span<T> destination, bool bigEndian) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (size is not (1 or 2 or 4 or 8))
            throw new ArgumentException($"{typeof(T).Name} is {size} bytes; elements must be 1, 2, 4 or 8 bytes.", nameof(destination));
        if (valueBytes.Length != (long)destination.Length * size)
            throw new ArgumentException($"{valueBytes.Length} bytes do not make {destination.Length} elements of {size} bytes.", nameof(destination));
        var bytes = MemoryMarshal.AsBytes(destination);
        valueBytes.CopyTo(bytes);
        if (size == 1 || bigEndian != BitConverter.IsLittleEndian)
            return;
        switch (size)
        {
            case 2:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<byte, ushort>(bytes));
                break;
            case 4:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes));
                break;
            default:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes));
                break;
        }
    }

    private static long ElementBits(Descriptor d)
    {
        if (d.NumpyType is { } t)
            return t.ItemSize * 8L;
        long bits = 0;
        foreach (var f in d.FormatArray!)
            bits += f.Bits;
        return bits;
    }

    /// <summary>spead2's dynamic shape: the variable dimension takes what the bytes hold.</summary>
    private static long[] ResolveShape(Descriptor d, long maxElements, out long elements)
    {
        var shape = (long[])d.ShapeArray.Clone();
        int variable = -1;
        long known = 1;
        try
        {
            for (int i = 0; i < shape.Length; i++)
            {
                if (shape[i] == Descriptor.VariableDimension)
                    variable = i;
                else
                    known = checked(known * shape[i]);
            }
        }
        catch (OverflowException)
        {
            throw Error(d, "its shape has too many elements");
        }
        if (variable >= 0)
            shape[variable] = known == 0 ? 0 : maxElements / known;
        elements = variable >= 0 ? known * shape[variable] : known;
        if (elements > maxElements)
            throw Error(d, string.Create(CultureInfo.InvariantCulture, $"has too few elements for its shape ({maxElements} < {elements})"));
        if (elements > Array.MaxLength)
            throw Error(d, "has too many elements for a .NET array");
        if (shape.Length > MaxRank)
            throw Error(d, $"rank {shape.Length} is above the supported {MaxRank}");
        foreach (long dim in shape)
        {
            if (dim > Array.MaxLength)
                throw Error(d, "a dimension is too large for a .NET array");
        }
        return shape;
    }

    private static object DecodeDtype(Descriptor d, DType dtype, ReadOnlySpan<byte> raw, bool isImmediate)
    {
        int size = dtype.ItemSize;
        long[] shape = ResolveShape(d, raw.Length / size, out long elements);
        int count = (int)elements;
        int bytes = count * size;
        var data = isImmediate ? raw.Slice(raw.Length - bytes) : raw.Slice(0, bytes);
        bool big = dtype.IsBigEndian;
        return dtype.Kind switch
        {
            'b' => Shape(d, shape, ReadBools(data)),
            'u' => size switch
            {
                1 => Shape(d, shape, data.ToArray()),
                2 => Shape(d, shape, ReadUInt16(data, big)),
                4 => Shape(d, shape, ReadUInt32(data, big)),
                _ => Shape(d, shape, ReadUInt64(data, big)),
            },
            'i' => size switch
            {
                1 => Shape(d, shape, MemoryMarshal.Cast<byte, sbyte>(data).ToArray()),
                2 => Shape(d, shape, Reinterpret<ushort, short>(ReadUInt16(data, big))),
                4 => Shape(d, shape, Reinterpret<uint, int>(ReadUInt32(data, big))),
                _ => Shape(d, shape, Reinterpret<ulong, long>(ReadUInt64(data, big))),
            },
            'f' => size switch
            {
                2 => Shape(d, shape, Reinterpret<ushort, Half>(ReadUInt16(data, big))),
                4 => Shape(d, shape, Reinterpret<uint, float>(ReadUInt32(data, big))),
                _ => Shape(d, shape, Reinterpret<ulong, double>(ReadUInt64(data, big))),
            },
            'c' => Shape(d, shape, ReadComplex(data, size, big)),
            'S' when size == 1 => Shape(d, shape, data.ToArray()),
            'S' => Shape(d, shape, ReadStrings(d, data, size)),
            _ => throw Error(d, $"dtype {dtype} is not supported"),
        };
    }

    private static object DecodeFormat(Descriptor d, FormatField[] format, ReadOnlySpan<byte> raw, bool isImmediate)
    {
        long bitsPerElement = 0;
        foreach (var f in format)
            bitsPerElement += f.Bits;
        long[] shape = ResolveShape(d, raw.Length * 8L / bitsPerElement, out long elements);
        int count = (int)elements;
        int bytes = (int)((elements * bitsPerElement + 7) / 8);
        var reader = new BitFieldReader(isImmediate ? raw.Slice(raw.Length - bytes) : raw.Slice(0, bytes));

        if (format.Length > 1)
        {
            var records = new FieldValues[count];
            for (int n = 0; n < count; n++)
            {
                var fields = new object[format.Length];
                for (int f = 0; f < format.Length; f++)
                    fields[f] = ReadField(ref reader, format[f]);
                records[n] = new FieldValues(fields);
            }
            return Shape(d, shape, records);
        }

        var field = format[0];
        int bits = field.Bits;
        switch (field.Code)
        {
            case 'u' when bits <= 8: return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => (byte)v));
            case 'u' when bits <= 16: return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => (ushort)v));
            case 'u' when bits <= 32: return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => (uint)v));
            case 'u': return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => v));
            case 'i' when bits <= 8: return Shape(d, shape, ReadSigned(ref reader, count, bits, static v => (sbyte)v));
            case 'i' when bits <= 16: return Shape(d, shape, ReadSigned(ref reader, count, bits, static v => (short)v));
            case 'i' when bits <= 32: return Shape(d, shape, ReadSigned(ref reader, count, bits, static v => (int)v));
            case 'i': return Shape(d, shape, ReadSigned(ref reader, count, bits, static v => v));
            case 'b': return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => v != 0));
            case 'f' when bits == 32: return Shape(d, shape, ReadUnsigned(ref reader, count, bits, static v => BitConverter.UInt32BitsToSingle((uint)v)));
            case 'f': return Shape(d, shape, ReadUnsigned(ref reader, count, bits, BitConverter.UInt64BitsToDouble));
            case 'c':
                {
                    var chars = ReadUnsigned(ref reader, count, bits, static v => (char)v);
                    // Characters are ASCII, as the sending side requires (spead2 decodes strings as ASCII).
                    if (!Ascii.IsValid(chars))
                        throw Error(d, "has characters that are not ASCII");
                    // spead2 joins a one-dimensional character array into a string.
                    return shape.Length == 1 ? new string(chars) : Shape(d, shape, chars);
                }
            default:
                throw Error(d, $"format field {field} is not supported");
        }
    }

    private static object ReadField(ref BitFieldReader reader, FormatField field)
    {
        ulong v = reader.ReadUInt64(field.Bits);
        int bits = field.Bits;
        long signed = bits == 64 ? (long)v : (long)(v << (64 - bits)) >> (64 - bits);
        return field.Code switch
        {
            'u' when bits <= 8 => (byte)v,
            'u' when bits <= 16 => (ushort)v,
            'u' when bits <= 32 => (uint)v,
            'u' => v,
            'i' when bits <= 8 => (sbyte)signed,
            'i' when bits <= 16 => (short)signed,
            'i' when bits <= 32 => (int)signed,
            'i' => signed,
            'b' => v != 0,
            'c' => v < 128 ? (char)v : throw new InvalidDataException($"Character 0x{v:X2} of a ('c', 8) field is not ASCII."),
            'f' when bits == 32 => BitConverter.UInt32BitsToSingle((uint)v),
            'f' => BitConverter.UInt64BitsToDouble(v),
            _ => throw new InvalidDataException($"Format field {field} is not supported."),
        };
    }

    private static T[] ReadUnsigned<T>(ref BitFieldReader reader, int count, int bits, Func<ulong, T> convert)
    {
        var result = new T[count];
        for (int i = 0; i < result.Length; i++)
            result[i] = convert(reader.ReadUInt64(bits));
        return result;
    }

    private static T[] ReadSigned<T>(ref BitFieldReader reader, int count, int bits, Func<long, T> convert)
    {
        var result = new T[count];
        for (int i = 0; i < result.Length; i++)
            result[i] = convert(reader.ReadInt64(bits));
        return result;
    }

    private static bool[] ReadBools(ReadOnlySpan<byte> data)
    {
        var result = new bool[data.Length];
        for (int i = 0; i < data.Length; i++)
            result[i] = data[i] != 0;
        return result;
    }

    private static ushort[] ReadUInt16(ReadOnlySpan<byte> data, bool big)
    {
        var result = MemoryMarshal.Cast<byte, ushort>(data).ToArray();
        if (big == BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(result, result);
        return result;
    }

    private static uint[] ReadUInt32(ReadOnlySpan<byte> data, bool big)
    {
        var result = MemoryMarshal.Cast<byte, uint>(data).ToArray();
        if (big == BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(result, result);
        return result;
    }

    private static ulong[] ReadUInt64(ReadOnlySpan<byte> data, bool big)
    {
        var result = MemoryMarshal.Cast<byte, ulong>(data).ToArray();
        if (big == BitConverter.IsLittleEndian)
            BinaryPrimitives.ReverseEndianness(result, result);
        return result;
    }

    /// <summary>Reuses an array's memory as another same-sized element type (bit patterns kept).</summary>
    private static TTo[] Reinterpret<TFrom, TTo>(TFrom[] source) where TFrom : unmanaged where TTo : unmanaged
    {
        var result = new TTo[source.Length];
        MemoryMarshal.AsBytes(source.AsSpan()).CopyTo(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    private static Complex[] ReadComplex(ReadOnlySpan<byte> data, int size, bool big)
    {
        var result = new Complex[data.Length / size];
        int half = size / 2;
        for (int i = 0; i < result.Length; i++)
        {
            var re = data.Slice(i * size, half);
            var im = data.Slice(i * size + half, half);
            result[i] = half == 4
                ? new Complex(ReadSingle(re, big), ReadSingle(im, big))
                : new Complex(ReadDouble(re, big), ReadDouble(im, big));
        }
        return result;
    }

    private static float ReadSingle(ReadOnlySpan<byte> b, bool big) =>
        big ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b);

    private static double ReadDouble(ReadOnlySpan<byte> b, bool big) =>
        big ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b);

    private static string[] ReadStrings(Descriptor d, ReadOnlySpan<byte> data, int size)
    {
        var result = new string[data.Length / size];
        for (int i = 0; i < result.Length; i++)
        {
            // numpy drops trailing NULs of a bytes element. Strings are ASCII, as the sending side
            // requires.
            var element = data.Slice(i * size, size).TrimEnd((byte)0);
            if (!Ascii.IsValid(element))
                throw Error(d, "has a string that is not ASCII");
            result[i] = Encoding.ASCII.GetString(element);
        }
        return result;
    }

    /// <summary>Gives the flat elements (in memory order) the item's shape.</summary>
    private static object Shape<T>(Descriptor d, long[] shape, T[] flat)
    {
        switch (shape.Length)
        {
            case 0:
                return flat[0]!;
            case 1:
                return flat;
        }
        var lengths = new int[shape.Length];
        for (int i = 0; i < lengths.Length; i++)
            lengths[i] = (int)shape[i];
        var arrayType = shape.Length switch
        {
            2 => typeof(T[,]),
            3 => typeof(T[,,]),
            4 => typeof(T[,,,]),
            5 => typeof(T[,,,,]),
            6 => typeof(T[,,,,,]),
            7 => typeof(T[,,,,,,]),
            _ => typeof(T[,,,,,,,]),
        };
        var array = Array.CreateInstanceFromArrayType(arrayType, lengths);
        // A rectangular array's elements are stored row-major, so its memory is a T span.
        var dest = MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(array)), flat.Length);
        if (d.Order == ArrayOrder.C)
        {
            flat.CopyTo(dest);
            return array;
        }
        // Fortran order: the first index varies fastest in the received bytes.
        var index = new int[lengths.Length];
        for (int n = 0; n < flat.Length; n++)
        {
            long c = 0;
            for (int k = 0; k < lengths.Length; k++)
                c = c * lengths[k] + index[k];
            dest[(int)c] = flat[n];
            for (int k = 0; k < index.Length && ++index[k] == lengths[k]; k++)
                index[k] = 0;
        }
        return array;
    }

    private static InvalidDataException Error(Descriptor d, string message) =>
        new($"Item '{d.Name}' (0x{d.Id:X}) {message}.");
}
