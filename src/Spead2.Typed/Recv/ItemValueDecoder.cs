using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Spead2.Recv;

/// <summary>
/// Turns a received item's bytes into a .NET value the way spead2's Python <c>set_from_raw</c>
/// reads them; the inverse of what an <see cref="Item"/> sends.
/// <list type="bullet">
/// <item>A numpy dtype gives its element type (<c>bool</c>, <c>sbyte</c> … <c>ulong</c>,
/// <c>Half</c>, <c>float</c>, <c>double</c>, <see cref="Complex"/>; <c>S1</c> gives <c>byte</c>,
/// <c>S</c>n a <c>string</c> without trailing NULs) in the declared byte order.</item>
/// <item>A format reads fields MSB first: <c>u</c>/<c>i</c> of up to 8/16/32/64 bits give
/// <c>byte</c>/<c>ushort</c>/<c>uint</c>/<c>ulong</c> (<c>sbyte</c>/<c>short</c>/<c>int</c>/<c>long</c>),
/// <c>b</c> <c>bool</c>, <c>c</c> <c>char</c>, <c>f</c> <c>float</c>/<c>double</c>; a multi-field
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
        long[] shape = ResolveShape(descriptor, raw.Length * 8L / bitsPerElement, out elements);
        _ = shape;
        long bytes = (elements * bitsPerElement + 7) / 8;
        return item.IsImmediate ? raw.Slice(raw.Length - (int)bytes) : raw.Slice(0, (int)bytes);
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
            'S' => Shape(d, shape, ReadStrings(data, size)),
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
        var reader = new BitReader(isImmediate ? raw.Slice(raw.Length - bytes) : raw.Slice(0, bytes));

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
                if (shape.Length == 1)
                {
                    // spead2 joins a one-dimensional character array into a string (ASCII).
                    if (!Ascii.IsValid(chars))
                        throw Error(d, "its characters are not ASCII");
                    return new string(chars);
                }
                return Shape(d, shape, chars);
            }
            default:
                throw Error(d, $"format field {field} is not supported");
        }
    }

    private static object ReadField(ref BitReader reader, FormatField field)
    {
        ulong v = reader.Read(field.Bits);
        int bits = field.Bits;
        return field.Code switch
        {
            'u' when bits <= 8 => (byte)v,
            'u' when bits <= 16 => (ushort)v,
            'u' when bits <= 32 => (uint)v,
            'u' => v,
            'i' when bits <= 8 => (sbyte)SignExtend(v, bits),
            'i' when bits <= 16 => (short)SignExtend(v, bits),
            'i' when bits <= 32 => (int)SignExtend(v, bits),
            'i' => SignExtend(v, bits),
            'b' => v != 0,
            'c' => (char)v,
            'f' when bits == 32 => BitConverter.UInt32BitsToSingle((uint)v),
            'f' => BitConverter.UInt64BitsToDouble(v),
            _ => throw new InvalidDataException($"Format field {field} is not supported."),
        };
    }

    private static T[] ReadUnsigned<T>(ref BitReader reader, int count, int bits, Func<ulong, T> convert)
    {
        var result = new T[count];
        for (int i = 0; i < result.Length; i++)
            result[i] = convert(reader.Read(bits));
        return result;
    }

    private static T[] ReadSigned<T>(ref BitReader reader, int count, int bits, Func<long, T> convert)
    {
        var result = new T[count];
        for (int i = 0; i < result.Length; i++)
            result[i] = convert(SignExtend(reader.Read(bits), bits));
        return result;
    }

    private static long SignExtend(ulong v, int bits) =>
        bits >= 64 ? (long)v : (long)(v << (64 - bits)) >> (64 - bits);

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

    private static string[] ReadStrings(ReadOnlySpan<byte> data, int size)
    {
        var result = new string[data.Length / size];
        for (int i = 0; i < result.Length; i++)
        {
            // numpy drops trailing NULs of a bytes element.
            var element = data.Slice(i * size, size).TrimEnd((byte)0);
            result[i] = Encoding.Latin1.GetString(element);
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

    /// <summary>Reads fields MSB first with no alignment (the inverse of spead2's bit packer).</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private long _bitPos;

        public ulong Read(int bits)
        {
            ulong value = 0;
            if ((_bitPos & 7) == 0 && (bits & 7) == 0)
            {
                foreach (byte b in _data.Slice((int)(_bitPos >> 3), bits >> 3))
                    value = (value << 8) | b;
                _bitPos += bits;
                return value;
            }
            for (int i = 0; i < bits; i++)
            {
                int bit = (_data[(int)(_bitPos >> 3)] >> (7 - (int)(_bitPos & 7))) & 1;
                value = (value << 1) | (uint)bit;
                _bitPos++;
            }
            return value;
        }
    }
}
