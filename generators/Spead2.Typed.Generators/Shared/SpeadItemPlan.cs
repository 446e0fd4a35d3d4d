using System.Collections.Immutable;

namespace Spead2.Typed.Generators.Shared;

/// <summary>How the generated code encodes one item; decides both the descriptor and the value bytes.</summary>
internal enum ItemEncoding
{
    None,
    /// <summary>Scalar integer or enum: format <c>('u', bits)</c>, big-endian, <c>bits</c> may be narrower.</summary>
    UnsignedField,
    /// <summary>Scalar signed integer or enum: format <c>('i', bits)</c>, two's complement, big-endian.</summary>
    SignedField,
    /// <summary>Scalar bool: format <c>('b', 8)</c>, one byte 0 or 1.</summary>
    BooleanField,
    /// <summary>Scalar float or double: format <c>('f', 32|64)</c>, IEEE big-endian.</summary>
    FloatField,
    /// <summary>Scalar Half or Complex: numpy dtype, shape <c>()</c> (format 'f' has no 16-bit width, and no complex code).</summary>
    DtypeScalar,
    /// <summary>ASCII string: format <c>('c', 8)</c>, shape <c>(-1)</c> or a fixed length.</summary>
    String,
    /// <summary>Array, memory or rectangular array with no variable dimension: numpy dtype in the declared byte order.</summary>
    DtypeSequence,
    /// <summary>
    /// Array, memory or rectangular array on the format path: a variable dimension (any element but Half and Complex,
    /// big-endian fields like spead2), or <c>Bits</c> below 8 on one-byte integers (packed MSB first).
    /// </summary>
    FormatSequence,
}

/// <summary>Why an item cannot be generated; each maps to an analyzer rule.</summary>
internal enum ItemProblem
{
    None,
    UnsupportedType,
    ShapeOnScalar,
    ShapeRequired,
    StringShapeRank,
    ShapeNegative,
    ShapeMultipleVariable,
    ShapeVariableNeedsFormatElements,
    ShapeTooLarge,
    ShapeRankMismatch,
    BitsNotApplicable,
    BitsOutOfRange,
    ByteOrderNotApplicable,
    OrderNotApplicable,
    FortranNeedsRectangular,
}

/// <summary>
/// The decision for one member: which encoding, which shape, which format field or dtype.
/// Computed identically by the generator (to emit) and the analyzers (to report), so they never disagree.
/// </summary>
internal readonly struct SpeadItemPlan
{
    /// <summary>The shape value of a dimension given at run time (<c>SpeadDimension.RunTime</c>).</summary>
    public const long RunTime = -2;

    private SpeadItemPlan(ItemProblem problem, ItemEncoding encoding, ImmutableArray<long> shape, char code, int bits, long fixedElements, bool hasVariable,
        int byteOrder = 0, int order = 0)
    {
        Problem = problem;
        Encoding = encoding;
        Shape = shape;
        Code = code;
        Bits = bits;
        FixedElements = fixedElements;
        HasVariableDimension = hasVariable;
        ByteOrder = byteOrder;
        Order = order;
        var runTime = false;
        if (!shape.IsDefault)
        {
            foreach (var d in shape)
            {
                runTime |= d == RunTime;
            }
        }

        HasRunTimeDimension = runTime;
    }

    public ItemProblem Problem { get; }
    public ItemEncoding Encoding { get; }
    /// <summary>The declared shape, with -1 for the variable dimension and -2 for run-time ones.</summary>
    public ImmutableArray<long> Shape { get; }
    /// <summary>Format code (<c>u i f b c</c>) on the format path, or dtype kind letter on the dtype path.</summary>
    public char Code { get; }
    /// <summary>Format width in bits on the format path, or the dtype item size in bytes on the dtype path.</summary>
    public int Bits { get; }
    /// <summary>Product of the fixed compile-time dimensions.</summary>
    public long FixedElements { get; }
    public bool HasVariableDimension { get; }
    public bool HasRunTimeDimension { get; }
    /// <summary>SpeadByteOrder of a dtype item (0 native, 1 little, 2 big).</summary>
    public int ByteOrder { get; }
    /// <summary>ArrayOrder (0 C, 1 Fortran).</summary>
    public int Order { get; }

    private static SpeadItemPlan Fail(ItemProblem problem) => new(problem, ItemEncoding.None, ImmutableArray<long>.Empty, '\0', 0, 0, false);

    public static SpeadItemPlan Create(SpeadTypeInfo type, SpeadAttributeValues attribute)
    {
        if (!type.IsSupported)
        {
            return Fail(ItemProblem.UnsupportedType);
        }

        var packed = false;
        if (attribute.Bits is { } bits)
        {
            if (type.Element != ElementKind.Integer || type.Container == ContainerKind.String)
            {
                return Fail(ItemProblem.BitsNotApplicable);
            }

            if (type.Container != ContainerKind.Scalar)
            {
                // Packed sub-byte fields: only one-byte integer elements hold one field each.
                if (type.ElementBytes != 1)
                {
                    return Fail(ItemProblem.BitsNotApplicable);
                }

                if (bits < 1 || bits > 7)
                {
                    return Fail(ItemProblem.BitsOutOfRange);
                }

                packed = true;
            }
            else if (bits < 1 || bits > type.ElementBytes * 8)
            {
                return Fail(ItemProblem.BitsOutOfRange);
            }
        }

        if (attribute.Order is not (0 or 1))
        {
            return Fail(ItemProblem.OrderNotApplicable);
        }

        if (attribute.ByteOrder is not (0 or 1 or 2))
        {
            return Fail(ItemProblem.ByteOrderNotApplicable);
        }

        var declared = attribute.Shape;
        if (type.Container == ContainerKind.Scalar)
        {
            if (declared is { Length: > 0 })
            {
                return Fail(ItemProblem.ShapeOnScalar);
            }

            if (attribute.Order != 0)
            {
                return Fail(ItemProblem.OrderNotApplicable);
            }

            // Byte order is a dtype matter: format fields are big-endian by definition.
            if (attribute.ByteOrder != 0 && type.Element is not (ElementKind.Half or ElementKind.Complex))
            {
                return Fail(ItemProblem.ByteOrderNotApplicable);
            }

            var empty = ImmutableArray<long>.Empty;
            return type.Element switch
            {
                ElementKind.Integer => new SpeadItemPlan(ItemProblem.None, type.IsSigned ? ItemEncoding.SignedField : ItemEncoding.UnsignedField, empty,
                    type.IsSigned ? 'i' : 'u', attribute.Bits ?? type.ElementBytes * 8, 1, false),
                ElementKind.Boolean => new SpeadItemPlan(ItemProblem.None, ItemEncoding.BooleanField, empty, 'b', 8, 1, false),
                ElementKind.Float => new SpeadItemPlan(ItemProblem.None, ItemEncoding.FloatField, empty, 'f', type.ElementBytes * 8, 1, false),
                ElementKind.Half => new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeScalar, empty, 'f', 2, 1, false, attribute.ByteOrder),
                ElementKind.Complex => new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeScalar, empty, 'c', 16, 1, false, attribute.ByteOrder),
                _ => Fail(ItemProblem.UnsupportedType),
            };
        }

        // Strings and sequences: the default shape is one variable dimension where the encoding allows it.
        var formatCapable = type.Element is not (ElementKind.Half or ElementKind.Complex);
        ImmutableArray<long> shape;
        if (declared is { Length: > 0 } given)
        {
            shape = given;
        }
        else if (type.Container == ContainerKind.String || (formatCapable && type.Container != ContainerKind.Rectangular))
        {
            shape = ImmutableArray.Create(-1L);
        }
        else
        {
            return Fail(ItemProblem.ShapeRequired);
        }

        var variable = 0;
        long product = 1;
        foreach (var d in shape)
        {
            if (d == -1)
            {
                variable++;
                continue;
            }

            if (d == RunTime)
            {
                continue;
            }

            if (d < 0)
            {
                return Fail(ItemProblem.ShapeNegative);
            }

            // Keep the byte count representable; spead2 cannot address more than 2^56 bytes anyway.
            if (d != 0 && product > (1L << 56) / d)
            {
                return Fail(ItemProblem.ShapeTooLarge);
            }

            product *= d;
        }

        if (variable > 1)
        {
            return Fail(ItemProblem.ShapeMultipleVariable);
        }

        if (product > (1L << 56) / type.ElementBytes)
        {
            return Fail(ItemProblem.ShapeTooLarge);
        }

        if (type.Container == ContainerKind.Rectangular && type.Rank != shape.Length)
        {
            return Fail(ItemProblem.ShapeRankMismatch);
        }

        if (type.Container == ContainerKind.String)
        {
            if (attribute.ByteOrder != 0 || attribute.Order != 0)
            {
                return Fail(attribute.ByteOrder != 0 ? ItemProblem.ByteOrderNotApplicable : ItemProblem.OrderNotApplicable);
            }

            return shape.Length != 1
                ? Fail(ItemProblem.StringShapeRank)
                : new SpeadItemPlan(ItemProblem.None, ItemEncoding.String, shape, 'c', 8, product, variable == 1);
        }

        if (variable == 1 || packed)
        {
            // The format path: a numpy dtype cannot carry a variable dimension (spead2 rejects it), and only the
            // format path has sub-byte fields. Its fields are big-endian, so byte order and memory order do not apply.
            if (!formatCapable)
            {
                return Fail(ItemProblem.ShapeVariableNeedsFormatElements);
            }

            if (attribute.ByteOrder != 0)
            {
                return Fail(ItemProblem.ByteOrderNotApplicable);
            }

            if (attribute.Order != 0)
            {
                return Fail(ItemProblem.OrderNotApplicable);
            }

            var code = type.Element switch
            {
                ElementKind.Boolean => 'b',
                ElementKind.Float => 'f',
                _ => type.IsSigned ? 'i' : 'u',
            };
            return new SpeadItemPlan(ItemProblem.None, ItemEncoding.FormatSequence, shape, code, attribute.Bits ?? type.ElementBytes * 8, product, variable == 1);
        }

        if (attribute.Order == 1 && shape.Length > 1 && type.Container != ContainerKind.Rectangular)
        {
            return Fail(ItemProblem.FortranNeedsRectangular);
        }

        var kind = type.Element switch
        {
            ElementKind.Boolean => 'b',
            ElementKind.Integer => type.IsSigned ? 'i' : 'u',
            ElementKind.Float or ElementKind.Half => 'f',
            _ => 'c',
        };
        return new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeSequence, shape, kind, type.ElementBytes, product, false, attribute.ByteOrder, attribute.Order);
    }
}
