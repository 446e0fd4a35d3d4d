using System.Numerics;
using CsCheck;
using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Tests.Support;

/// <summary>
/// CsCheck generators of item schemas and values for round-trip property tests. Values are built directly in the
/// .NET types the receiver decodes to, so a round trip can be compared with plain equality. Everything is generated
/// data: a failing case shrinks (towards fewer and shorter dimensions and smaller numbers) and CsCheck prints a seed
/// that replays it.
/// </summary>
internal static class RandomSchema
{
    private static readonly string[] Dtypes =
        ["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "c8", "c16", "S1", "S3"];

    public static readonly int[] Habs = [8, 16, 24, 32, 40, 48, 56];

    /// <summary>Any heap address width with any combination of bug-compat flags.</summary>
    public static readonly Gen<Flavour> Flavours = Gen.Select(Gen.Int[0, Habs.Length - 1], Gen.Int[0, 7],
        (hab, bug) => new Flavour(heapAddressBits: Habs[hab], bugCompat: (BugCompat)bug));

    private static readonly Gen<FormatField> Field = Gen.OneOf<FormatField>(
        Gen.Int[1, 64].Select(bits => new FormatField('u', bits)),
        Gen.Int[1, 64].Select(bits => new FormatField('i', bits)),
        Gen.Int[1, 8].Select(bits => new FormatField('b', bits)),
        Gen.Bool.Select(wide => new FormatField('f', wide ? 64 : 32)),
        Gen.Const(new FormatField('c', 8)));

    /// <summary>
    /// An item (without a value): six in ten are dtype items, the rest format items of one to three fields.
    /// <paramref name="maxElements"/> bounds the size of its values.
    /// </summary>
    public static Gen<Item> Item(long id, string name, int maxElements)
    {
        var dtypeItem = Gen.Select(Gen.Int[0, Dtypes.Length - 1], Gen.Bool, Shape(maxElements, allowVariable: false), Gen.Bool,
            (d, bigEndian, shape, fortran) =>
            {
                string dtype = Dtypes[d];
                if (dtype[0] is 'i' or 'u' or 'f' or 'c' && dtype != "i1" && dtype != "u1")
                    dtype = (bigEndian ? ">" : "<") + dtype;
                var order = fortran ? ArrayOrder.Fortran : ArrayOrder.C;
                return new Item(id, name, "dtype item " + dtype, shape, dtype: dtype, order: order);
            });
        var formatItem = Field.Array[1, 3].SelectMany(format =>
        {
            // A variable dimension is only unambiguous for whole-byte elements: otherwise the padding
            // bits of the last byte read back as extra elements (spead2 behaves the same way; see
            // ValueDecodingTests.VariableBitPackedItemsReadPaddingAsElements).
            bool wholeBytes = format.Sum(f => f.Bits) % 8 == 0;
            return Shape(maxElements, allowVariable: wholeBytes).Select(shape => new Item(id, name, "format item", shape, format: format));
        });
        return Gen.Frequency((6, dtypeItem), (4, formatItem));
    }

    /// <summary>
    /// Up to three dimensions of 0 to 4 elements, a dimension that would take the element count past
    /// <paramref name="maxElements"/> cut to 1; with <paramref name="allowVariable"/>, a third of the shapes
    /// have one variable dimension.
    /// </summary>
    private static Gen<long[]> Shape(int maxElements, bool allowVariable) => Gen.Select(Gen.Int[0, 4].Array[0, 3], Gen.Int[0, 2], Gen.Int[0, 5],
        (dims, variable, at) =>
        {
            var shape = new long[dims.Length];
            long product = 1;
            for (int i = 0; i < shape.Length; i++)
            {
                shape[i] = dims[i];
                product *= Math.Max(1, shape[i]);
                if (product > maxElements)
                    shape[i] = 1;
            }
            // 6 is a multiple of every possible rank, so each dimension is equally likely to be the variable one.
            if (allowVariable && shape.Length > 0 && variable == 2)
                shape[at % shape.Length] = Descriptor.VariableDimension;
            return shape;
        });

    /// <summary>
    /// A value for <paramref name="item"/>, in the types the decoder produces. The lengths of variable dimensions
    /// (0 to 3) are drawn first and the elements for them after (SelectMany), so both shrink.
    /// </summary>
    public static Gen<object> Value(Descriptor item)
    {
        int variable = item.Shape.Count(d => d == Descriptor.VariableDimension);
        return Gen.Int[0, 3].Array[variable].SelectMany(variableLengths =>
        {
            int v = 0;
            var lengths = item.Shape.Select(d => d == Descriptor.VariableDimension ? variableLengths[v++] : (int)d).ToArray();
            int count = lengths.Aggregate(1, (a, b) => a * b);
            Gen<object> element;
            Type type;
            if (item.NumpyType is { } t)
            {
                (element, type) = DtypeElement(t);
            }
            else if (item.Format!.Count == 1)
            {
                if (item.Format[0].Code == 'c' && lengths.Length == 1)
                    return Gen.Char[(char)0, (char)127].Array[count].Select(chars => (object)new string(chars));
                (element, type) = FieldElement(item.Format[0]);
            }
            else
            {
                element = All(item.Format.Select(f => FieldElement(f).Item1).ToArray()).Select(fields => (object)new Spead2.Recv.FieldValues(fields));
                type = typeof(Spead2.Recv.FieldValues);
            }
            if (lengths.Length == 0)
                return element;
            return element.Array[count].Select(elements =>
            {
                var array = Array.CreateInstance(type, lengths);
                var index = new int[lengths.Length];
                foreach (var e in elements)
                {
                    array.SetValue(e, index);
                    for (int k = index.Length - 1; k >= 0 && ++index[k] == lengths[k]; k--)
                        index[k] = 0;
                }
                return (object)array;
            });
        });
    }

    /// <summary>One value from each generator, in order.</summary>
    public static Gen<T[]> All<T>(IReadOnlyList<Gen<T>> gens) =>
        gens.Aggregate(Gen.Const(Array.Empty<T>()), (acc, gen) => Gen.Select(acc, gen, (values, value) => (T[])[.. values, value]));

    private static Gen<object> Box<T>(Gen<T> gen) where T : notnull => gen.Select(x => (object)x);

    private static (Gen<object>, Type) DtypeElement(DType t) => (t.Kind, t.ItemSize) switch
    {
        ('b', _) => (Box(Gen.Bool), typeof(bool)),
        ('i', 1) => (Box(Bits64.Select(b => (sbyte)b)), typeof(sbyte)),
        ('u', 1) => (Box(Bits64.Select(b => (byte)b)), typeof(byte)),
        ('i', 2) => (Box(Bits64.Select(b => (short)b)), typeof(short)),
        ('u', 2) => (Box(Bits64.Select(b => (ushort)b)), typeof(ushort)),
        ('i', 4) => (Box(Bits64.Select(b => (int)b)), typeof(int)),
        ('u', 4) => (Box(Bits64.Select(b => (uint)b)), typeof(uint)),
        ('i', 8) => (Box(Bits64.Select(b => (long)b)), typeof(long)),
        ('u', 8) => (Box(Bits64), typeof(ulong)),
        ('f', 2) => (Box(Gen.Int[-4000, 3999].Select(n => (Half)(n / 8.0))), typeof(Half)),
        ('f', 4) => (Box(Float), typeof(float)),
        ('f', 8) => (Box(Double), typeof(double)),
        ('c', 8) => (Box(Gen.Select(Float, Float, (re, im) => new Complex(re, im))), typeof(Complex)),
        ('c', _) => (Box(Gen.Select(Double, Double, (re, im) => new Complex(re, im))), typeof(Complex)),
        ('S', 1) => (Box(Bits64.Select(b => (byte)b)), typeof(byte)),
        _ => (Box(Gen.Char[(char)1, (char)127].Array[0, t.ItemSize].Select(chars => new string(chars))), typeof(string)),
    };

    private static (Gen<object>, Type) FieldElement(FormatField f)
    {
        int bits = f.Bits;
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        var unsigned = Bits64.Select(x => x & mask);
        switch (f.Code)
        {
            case 'u':
                return bits switch
                {
                    <= 8 => (Box(unsigned.Select(x => (byte)x)), typeof(byte)),
                    <= 16 => (Box(unsigned.Select(x => (ushort)x)), typeof(ushort)),
                    <= 32 => (Box(unsigned.Select(x => (uint)x)), typeof(uint)),
                    _ => (Box(unsigned), typeof(ulong)),
                };
            case 'i':
                var signed = Bits64.Select(x => bits == 64 ? (long)x : (long)(x & mask) - (1L << (bits - 1)));
                return bits switch
                {
                    <= 8 => (Box(signed.Select(x => (sbyte)x)), typeof(sbyte)),
                    <= 16 => (Box(signed.Select(x => (short)x)), typeof(short)),
                    <= 32 => (Box(signed.Select(x => (int)x)), typeof(int)),
                    _ => (Box(signed), typeof(long)),
                };
            case 'b':
                return (Box(Gen.Bool), typeof(bool));
            case 'f':
                return bits == 32 ? (Box(Float), typeof(float)) : (Box(Double), typeof(double));
            default:
                return (Box(Gen.Char[(char)0, (char)127]), typeof(char));
        }
    }

    // Uniformly random 64 bits (every byte significant, so byte order and sign extension are exercised) and, a
    // quarter of the time, CsCheck's numbers of few significant bits (zero, one, the most negative field value).
    // Both shrink towards zero.
    private static readonly Gen<ulong> Bits64 = Gen.Frequency(
        (3, Gen.Select(Gen.Int[0, 0xFFFF], Gen.Int[0, 0xFFFF], Gen.Int[0, 0xFFFF], Gen.Int[0, 0xFFFF],
            (a, b, c, d) => (ulong)(uint)a << 48 | (ulong)(uint)b << 32 | (ulong)(uint)c << 16 | (uint)d)),
        (1, Gen.ULong));

    // Any finite value, from its bit pattern: subnormals, negative zero and extremes included.
    private static readonly Gen<float> Float = Bits64.Select(b => BitConverter.UInt32BitsToSingle((uint)b)).Where(float.IsFinite);

    private static readonly Gen<double> Double = Bits64.Select(BitConverter.UInt64BitsToDouble).Where(double.IsFinite);

    /// <summary>A descriptor as a test failure shows it (with its array order, which its ToString leaves out).</summary>
    public static string Describe(Descriptor d) => $"{d} {d.Order}";

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
