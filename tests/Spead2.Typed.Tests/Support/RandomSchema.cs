using System.Numerics;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Tests.Support;

/// <summary>
/// Random item schemas and values for round-trip property tests. Values are built directly in the
/// .NET types the receiver decodes to, so a round trip can be compared with plain equality.
/// </summary>
internal static class RandomSchema
{
    private static readonly string[] Dtypes =
        ["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16", "S1", "S3"];

    public static readonly int[] Habs = [8, 16, 24, 32, 40, 48, 56];

    public static Flavour Flavour(Random r) =>
        new(heapAddressBits: Habs[r.Next(Habs.Length)], bugCompat: (BugCompat)r.Next(8));

    /// <summary>A random item; <paramref name="maxElements"/> bounds the value's size.</summary>
    public static Item Item(Random r, long id, string name, int maxElements)
    {
        if (r.Next(10) < 6)
        {
            string dtype = Dtypes[r.Next(Dtypes.Length)];
            if (dtype[0] is 'i' or 'u' or 'f' or 'c' && dtype != "i1" && dtype != "u1")
                dtype = (r.Next(2) == 0 ? "<" : ">") + dtype;
            var shape = Shape(r, maxElements, allowVariable: false);
            var order = r.Next(2) == 0 ? ArrayOrder.C : ArrayOrder.Fortran;
            return new Item(id, name, "dtype item " + dtype, shape, dtype: dtype, order: order);
        }
        var format = new FormatField[r.Next(1, 4)];
        for (int i = 0; i < format.Length; i++)
        {
            format[i] = r.Next(5) switch
            {
                0 => new FormatField('u', r.Next(1, 65)),
                1 => new FormatField('i', r.Next(1, 65)),
                2 => new FormatField('b', r.Next(1, 9)),
                3 => new FormatField('f', r.Next(2) == 0 ? 32 : 64),
                _ => new FormatField('c', 8),
            };
        }
        // A variable dimension is only unambiguous for whole-byte elements: otherwise the padding
        // bits of the last byte read back as extra elements (spead2 behaves the same way; see
        // ValueDecodingTests.VariableBitPackedItemsReadPaddingAsElements).
        bool wholeBytes = format.Sum(f => f.Bits) % 8 == 0;
        return new Item(id, name, "format item", Shape(r, maxElements, allowVariable: wholeBytes), format: format);
    }

    private static long[] Shape(Random r, int maxElements, bool allowVariable)
    {
        var shape = new long[r.Next(0, 4)];
        long product = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = r.Next(0, 5);
            product *= Math.Max(1, shape[i]);
            if (product > maxElements)
                shape[i] = 1;
        }
        if (allowVariable && shape.Length > 0 && r.Next(3) == 0)
            shape[r.Next(shape.Length)] = Descriptor.VariableDimension;
        return shape;
    }

    /// <summary>A random value for <paramref name="item"/>, in the types the decoder produces.</summary>
    public static object Value(Random r, Descriptor item)
    {
        var lengths = item.Shape.Select(d => d == Descriptor.VariableDimension ? r.Next(0, 4) : (int)d).ToArray();
        int count = lengths.Aggregate(1, (a, b) => a * b);
        Func<object> element;
        Type type;
        if (item.NumpyType is { } t)
        {
            (element, type) = DtypeElement(r, t);
        }
        else if (item.Format!.Count == 1)
        {
            (element, type) = FieldElement(r, item.Format[0]);
            if (item.Format[0].Code == 'c' && lengths.Length == 1)
                return new string(Enumerable.Range(0, count).Select(_ => (char)r.Next(0, 128)).ToArray());
        }
        else
        {
            var fields = item.Format.Select(f => FieldElement(r, f).Item1).ToArray();
            element = () => new Spead2.Recv.FieldValues(fields.Select(f => f()).ToArray());
            type = typeof(Spead2.Recv.FieldValues);
        }
        if (lengths.Length == 0)
            return element();
        var array = Array.CreateInstance(type, lengths);
        var index = new int[lengths.Length];
        for (int n = 0; n < count; n++)
        {
            array.SetValue(element(), index);
            for (int k = index.Length - 1; k >= 0 && ++index[k] == lengths[k]; k--)
                index[k] = 0;
        }
        return array;
    }

    private static (Func<object>, Type) DtypeElement(Random r, DType t) => (t.Kind, t.ItemSize) switch
    {
        ('b', _) => (() => r.Next(2) == 1, typeof(bool)),
        ('i', 1) => (() => (sbyte)r.Next(), typeof(sbyte)),
        ('u', 1) => (() => (byte)r.Next(), typeof(byte)),
        ('i', 2) => (() => (short)r.Next(), typeof(short)),
        ('u', 2) => (() => (ushort)r.Next(), typeof(ushort)),
        ('i', 4) => (() => (int)r.NextInt64(), typeof(int)),
        ('u', 4) => (() => (uint)r.NextInt64(), typeof(uint)),
        ('i', 8) => (() => (long)Bits64(r), typeof(long)),
        ('u', 8) => (() => Bits64(r), typeof(ulong)),
        ('f', 2) => (() => (Half)(r.Next(-4000, 4000) / 8.0), typeof(Half)),
        ('f', 4) => (() => Float(r), typeof(float)),
        ('f', 8) => (() => Double(r), typeof(double)),
        ('c', 8) => (() => new Complex(Float(r), Float(r)), typeof(Complex)),
        ('c', _) => (() => new Complex(Double(r), Double(r)), typeof(Complex)),
        ('S', 1) => (() => (byte)r.Next(256), typeof(byte)),
        _ => (() => new string(Enumerable.Range(0, r.Next(0, t.ItemSize + 1)).Select(_ => (char)r.Next(1, 128)).ToArray()), typeof(string)),
    };

    private static (Func<object>, Type) FieldElement(Random r, FormatField f)
    {
        int bits = f.Bits;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        switch (f.Code)
        {
            case 'u':
                return bits switch
                {
                    <= 8 => (() => (byte)(Bits64(r) & mask), typeof(byte)),
                    <= 16 => (() => (ushort)(Bits64(r) & mask), typeof(ushort)),
                    <= 32 => (() => (uint)(Bits64(r) & mask), typeof(uint)),
                    _ => (() => Bits64(r) & mask, typeof(ulong)),
                };
            case 'i':
                long Signed() => bits == 64 ? (long)Bits64(r) : (long)(Bits64(r) & mask) - (1L << (bits - 1));
                return bits switch
                {
                    <= 8 => (() => (sbyte)Signed(), typeof(sbyte)),
                    <= 16 => (() => (short)Signed(), typeof(short)),
                    <= 32 => (() => (int)Signed(), typeof(int)),
                    _ => (() => Signed(), typeof(long)),
                };
            case 'b':
                return (() => r.Next(2) == 1, typeof(bool));
            case 'f':
                return bits == 32 ? (() => Float(r), typeof(float)) : (() => Double(r), typeof(double));
            default:
                return (() => (char)r.Next(0, 128), typeof(char));
        }
    }

    private static ulong Bits64(Random r) => (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63);

    private static float Float(Random r)
    {
        float f;
        do
            f = BitConverter.UInt32BitsToSingle((uint)r.NextInt64());
        while (!float.IsFinite(f));
        return f;
    }

    private static double Double(Random r)
    {
        double d;
        do
            d = BitConverter.UInt64BitsToDouble(Bits64(r));
        while (!double.IsFinite(d));
        return d;
    }

    /// <summary>Deep equality of decoded values: same types, same shape, equal elements.</summary>
    public static bool ValueEquals(object? a, object? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        if (a.GetType() != b.GetType())
            return false;
        if (a is Array x && b is Array y)
        {
            if (x.Rank != y.Rank)
                return false;
            for (int i = 0; i < x.Rank; i++)
            {
                if (x.GetLength(i) != y.GetLength(i))
                    return false;
            }
            var ea = x.Cast<object>().ToArray();
            var eb = y.Cast<object>().ToArray();
            return ea.Zip(eb).All(p => Equals(p.First, p.Second));
        }
        return Equals(a, b);
    }

    public static string Show(object? v) => v switch
    {
        null => "null",
        Array a => $"{a.GetType().Name}[{string.Join(",", a.Cast<object>())}]",
        _ => $"{v} ({v.GetType().Name})",
    };
}
