using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Spead2.Protocol;

/// <summary>
/// Turns an untyped item value into the bytes spead2 sends for it: the dtype path writes the array's elements in
/// the dtype's byte order (C or Fortran order); the format path packs every field of every element MSB first,
/// which gives big-endian whole-byte fields and spead2's bit packing for the others.
/// </summary>
internal static class ItemValueEncoder
{
    public static byte[] Encode(Descriptor descriptor, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return descriptor.NumpyType is { } dtype
            ? EncodeDtype(descriptor, dtype, value)
            : EncodeFormat(descriptor, descriptor.FormatArray!, value);
    }

    /// <summary>Number of elements the shape calls for, given how many the value has (resolving a variable dimension).</summary>
    public static long ResolveCount(Descriptor descriptor, long available)
    {
        long product = 1;
        bool variable = false;
        foreach (long d in descriptor.ShapeArray)
        {
            if (d == Descriptor.VariableDimension)
                variable = true;
            else
                product = checked(product * d);
        }
        if (!variable)
        {
            if (available != product)
            {
                throw new ArgumentException(
                    $"Item '{descriptor.Name}' has shape ({string.Join(", ", descriptor.ShapeArray)}) = {product} elements but the value has {available}.", "value");
            }

            return product;
        }
        if (product == 0 ? available != 0 : available % product != 0)
        {
            throw new ArgumentException(
                $"Item '{descriptor.Name}': {available} elements do not fill whole rows of the fixed dimensions ({product} elements each).", "value");
        }

        return available;
    }

    private static byte[] EncodeDtype(Descriptor d, DType dtype, object value)
    {
        if (value is Array array && TryEncodeBlock(d, dtype, array) is { } block)
            return block;
        // A byte string dtype wider than one byte takes a whole byte[] (or string) per element.
        var elements = dtype.Kind == 'S' && dtype.ItemSize > 1 && d.ShapeArray.Length == 0 && value is byte[]? [value]
            : Flatten(d, value, splitStrings: dtype.Kind == 'S' && dtype.ItemSize == 1 && d.ShapeArray.Length > 0);
        long count = ResolveCount(d, elements.Count);
        var buffer = new byte[checked(count * dtype.ItemSize)];
        bool big = dtype.IsBigEndian;
        for (int i = 0; i < elements.Count; i++)
            WriteDtypeElement(buffer.AsSpan(i * dtype.ItemSize, dtype.ItemSize), dtype, big, elements[i], d.Name);
        return buffer;
    }

    /// <summary>
    /// Fast path for an array whose element type is exactly the dtype's: copy its memory (swapping bytes when the
    /// dtype's byte order is not the machine's) instead of converting element by element.
    /// </summary>
    private static byte[]? TryEncodeBlock(Descriptor d, DType dtype, Array array)
    {
        var (kind, size) = NativeKind(array.GetType().GetElementType()!);
        if (kind != dtype.Kind || size != dtype.ItemSize)
            return null;
        if (array.Rank > 1)
        {
            if (d.Order != ArrayOrder.C || d.ShapeArray.Length != array.Rank)
                return null;
            for (int i = 0; i < array.Rank; i++)
            {
                if (d.ShapeArray[i] != array.GetLength(i))
                    return null;
            }
        }
        long count = ResolveCount(d, array.LongLength);
        var bytes = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(array), checked((int)(count * size)));
        var result = bytes.ToArray();
        bool machineBig = !BitConverter.IsLittleEndian;
        if (dtype.ByteOrder != '|' && dtype.IsBigEndian != machineBig)
        {
            // Complex numbers swap each of their two halves.
            int unit = kind == 'c' ? size / 2 : size;
            for (int i = 0; i < result.Length; i += unit)
                result.AsSpan(i, unit).Reverse();
        }
        return result;
    }

    private static (char Kind, int Size) NativeKind(Type t)
    {
        if (t == typeof(bool)) return ('b', 1);
        if (t == typeof(sbyte)) return ('i', 1);
        if (t == typeof(byte)) return ('u', 1);
        if (t == typeof(short)) return ('i', 2);
        if (t == typeof(ushort)) return ('u', 2);
        if (t == typeof(int)) return ('i', 4);
        if (t == typeof(uint)) return ('u', 4);
        if (t == typeof(long)) return ('i', 8);
        if (t == typeof(ulong)) return ('u', 8);
        if (t == typeof(Half)) return ('f', 2);
        if (t == typeof(float)) return ('f', 4);
        if (t == typeof(double)) return ('f', 8);
        if (t == typeof(Complex)) return ('c', 16);
        return ('\0', 0);
    }

    private static void WriteDtypeElement(Span<byte> dest, DType dtype, bool big, object v, string name)
    {
        switch (dtype.Kind)
        {
            case 'b':
                dest[0] = ToBool(v, name) ? (byte)1 : (byte)0;
                break;
            case 'u':
            case 'i':
                {
                    int bits = dtype.ItemSize * 8;
                    ulong raw = IntegerBits(v, dtype.Kind, bits, name);
                    WriteOrdered(dest, raw, big);
                    break;
                }
            case 'f':
                WriteFloat(dest, ToDouble(v, name), dtype.ItemSize, big);
                break;
            case 'c':
                {
                    var c = ToComplex(v, name);
                    int half = dtype.ItemSize / 2;
                    WriteFloat(dest[..half], c.Real, half, big);
                    WriteFloat(dest[half..], c.Imaginary, half, big);
                    break;
                }
            case 'S':
                WriteBytesElement(dest, v, name);
                break;
        }
    }

    private static void WriteFloat(Span<byte> dest, double value, int size, bool big)
    {
        ulong raw = size switch
        {
            2 => BitConverter.HalfToUInt16Bits((Half)value),
            4 => BitConverter.SingleToUInt32Bits((float)value),
            _ => BitConverter.DoubleToUInt64Bits(value),
        };
        WriteOrdered(dest, raw, big);
    }

    private static void WriteOrdered(Span<byte> dest, ulong raw, bool big)
    {
        if (big)
        {
            for (int i = dest.Length - 1; i >= 0; i--, raw >>= 8)
                dest[i] = (byte)raw;
        }
        else
        {
            for (int i = 0; i < dest.Length; i++, raw >>= 8)
                dest[i] = (byte)raw;
        }
    }

    private static void WriteBytesElement(Span<byte> dest, object v, string name)
    {
        ReadOnlySpan<byte> bytes = v switch
        {
            byte b => new[] { b },
            char c when c < 128 => new[] { (byte)c },
            string s when System.Text.Ascii.IsValid(s) => System.Text.Encoding.ASCII.GetBytes(s),
            byte[] a => a,
            _ => throw new ArgumentException($"Item '{name}': {Describe(v)} is not an ASCII character, string or byte array.", "value"),
        };
        if (bytes.Length > dest.Length)
            throw new ArgumentException($"Item '{name}': a {bytes.Length}-byte string does not fit a {dest.Length}-byte element.", "value");
        bytes.CopyTo(dest);
        dest[bytes.Length..].Clear();
    }

    private static byte[] EncodeFormat(Descriptor d, FormatField[] format, object value)
    {
        bool singleChar = format.Length == 1 && format[0].Code == 'c';
        var elements = Flatten(d, value, splitStrings: singleChar, splitBytes: singleChar);
        long count = ResolveCount(d, elements.Count);
        long bitsPerElement = 0;
        foreach (var f in format)
            bitsPerElement += f.Bits;
        var buffer = new byte[checked((count * bitsPerElement + 7) / 8)];
        var writer = new BitWriter(buffer);
        foreach (object element in elements)
        {
            if (format.Length == 1)
            {
                WriteField(ref writer, format[0], element, d.Name);
                continue;
            }
            if (element is not ITuple tuple || tuple.Length != format.Length)
            {
                throw new ArgumentException(
                    $"Item '{d.Name}': each element must be a tuple of {format.Length} fields, got {Describe(element)}.", "value");
            }

            for (int f = 0; f < format.Length; f++)
                WriteField(ref writer, format[f], tuple[f] ?? throw new ArgumentException($"Item '{d.Name}': field {f} is null.", "value"), d.Name);
        }
        return buffer;
    }

    private static void WriteField(ref BitWriter writer, FormatField field, object v, string name)
    {
        ulong raw = field.Code switch
        {
            'u' or 'i' => IntegerBits(v, field.Code, field.Bits, name),
            'b' => ToBool(v, name) ? 1UL : 0UL,
            'c' => CharCode(v, name),
            'f' => field.Bits == 32 ? BitConverter.SingleToUInt32Bits((float)ToDouble(v, name)) : BitConverter.DoubleToUInt64Bits(ToDouble(v, name)),
            _ => throw new InvalidOperationException($"Unexpected format code {field.Code}."),
        };
        writer.Write(raw, field.Bits);
    }

    private static ulong CharCode(object v, string name) => v switch
    {
        char c when c < 128 => c,
        byte b => b,
        string { Length: 1 } s when s[0] < 128 => s[0],
        _ => throw new ArgumentException($"Item '{name}': {Describe(v)} is not an ASCII character.", "value"),
    };

    /// <summary>The two's complement bit pattern of an integer value, checked against the field width.</summary>
    private static ulong IntegerBits(object v, char code, int bits, string name)
    {
        Int128 x = ToInteger(v, name);
        Int128 min = code == 'u' ? 0 : -(Int128.One << (bits - 1));
        Int128 max = code == 'u' ? (Int128.One << bits) - 1 : (Int128.One << (bits - 1)) - 1;
        if (x < min || x > max)
            throw new ArgumentOutOfRangeException("value", v, $"Item '{name}': value {v} does not fit ('{code}', {bits}): the range is {min} to {max}.");
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        return (ulong)(x & (Int128)ulong.MaxValue) & mask;
    }

    private static Int128 ToInteger(object v, string name) => v switch
    {
        sbyte x => x,
        byte x => x,
        short x => x,
        ushort x => x,
        int x => x,
        uint x => x,
        long x => x,
        ulong x => x,
        nint x => x,
        nuint x => x,
        Int128 x => x,
        UInt128 x when x <= (UInt128)Int128.MaxValue => (Int128)x,
        BigInteger x when x >= (BigInteger)Int128.MinValue && x <= (BigInteger)Int128.MaxValue => (Int128)x,
        bool x => x ? 1 : 0,
        char x => x,
        Enum e => ToInteger(Convert.ChangeType(e, e.GetTypeCode(), System.Globalization.CultureInfo.InvariantCulture), name),
        _ => throw new ArgumentException($"Item '{name}': {Describe(v)} is not an integer.", "value"),
    };

    private static double ToDouble(object v, string name) => v switch
    {
        double x => x,
        float x => x,
        Half x => (double)x,
        decimal x => (double)x,
        bool => throw new ArgumentException($"Item '{name}': a bool is not a real number.", "value"),
        char => throw new ArgumentException($"Item '{name}': a char is not a real number.", "value"),
        _ => (double)ToInteger(v, name),
    };

    private static Complex ToComplex(object v, string name) => v switch
    {
        Complex c => c,
        _ => new Complex(ToDouble(v, name), 0),
    };

    private static bool ToBool(object v, string name) => v switch
    {
        bool b => b,
        _ => ToInteger(v, name) is var i && (i == Int128.Zero || i == Int128.One)
            ? i == Int128.One
            : throw new ArgumentOutOfRangeException("value", v, $"Item '{name}': a boolean must be true/false or 0/1."),
    };

    /// <summary>
    /// Lists a value's elements in memory order: a scalar is one element; a one-dimensional array or list is taken
    /// as it is; a multi-dimensional .NET array (row-major) must match the shape and is transposed for Fortran order.
    /// </summary>
    private static List<object> Flatten(Descriptor d, object value, bool splitStrings, bool splitBytes = false)
    {
        var list = new List<object>();
        switch (value)
        {
            case string s when splitStrings:
                foreach (char c in s)
                    list.Add(c);
                return list;
            case byte[] bytes when splitBytes:
                // Bytes are characters as they are (spead2 sends a bytes value unchanged); only str must be ASCII.
                foreach (byte b in bytes)
                    list.Add(b);
                return list;
            case string:
            case ITuple:
                list.Add(value);
                return list;
            case Array array when array.Rank > 1:
                return FlattenMultiDimensional(d, array);
            case IEnumerable enumerable:
                foreach (object? o in enumerable)
                    list.Add(o ?? throw new ArgumentException($"Item '{d.Name}': the value contains null.", "value"));
                return list;
            default:
                list.Add(value);
                return list;
        }
    }

    private static List<object> FlattenMultiDimensional(Descriptor d, Array array)
    {
        var shape = d.ShapeArray;
        if (shape.Length != array.Rank)
            throw new ArgumentException($"Item '{d.Name}': a rank-{array.Rank} array does not match shape ({string.Join(", ", shape)}).", "value");
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] != Descriptor.VariableDimension && shape[i] != array.GetLength(i))
                throw new ArgumentException($"Item '{d.Name}': dimension {i} is {array.GetLength(i)} but the shape says {shape[i]}.", "value");
        }
        var list = new List<object>(array.Length);
        var index = new int[array.Rank];
        // Fortran order: the first index varies fastest.
        bool fortran = d.Order == ArrayOrder.Fortran;
        for (int n = 0; n < array.Length; n++)
        {
            list.Add(array.GetValue(index)!);
            if (fortran)
            {
                for (int k = 0; k < index.Length && ++index[k] == array.GetLength(k); k++)
                    index[k] = 0;
            }
            else
            {
                for (int k = index.Length - 1; k >= 0 && ++index[k] == array.GetLength(k); k--)
                    index[k] = 0;
            }
        }
        return list;
    }

    private static string Describe(object v) => $"{v} ({v.GetType().Name})";

    /// <summary>Writes values MSB first with no alignment; the last partial byte is zero-filled.</summary>
    private ref struct BitWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private long _bitPos;

        public void Write(ulong value, int bits)
        {
            if ((_bitPos & 7) == 0 && (bits & 7) == 0)
            {
                // Whole bytes at a byte boundary: plain big-endian.
                var dest = _buffer.Slice((int)(_bitPos >> 3), bits >> 3);
                for (int i = dest.Length - 1; i >= 0; i--, value >>= 8)
                    dest[i] = (byte)value;
                _bitPos += bits;
                return;
            }
            for (int b = bits - 1; b >= 0; b--)
            {
                if (((value >> b) & 1) != 0)
                    _buffer[(int)(_bitPos >> 3)] |= (byte)(0x80 >> (int)(_bitPos & 7));
                _bitPos++;
            }
        }
    }
}
