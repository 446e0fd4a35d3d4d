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
    /// <summary>Scalar Half or Complex: numpy dtype in machine byte order, shape <c>()</c> (format 'f' has no 16-bit width, and no complex code).</summary>
    DtypeScalar,
    /// <summary>ASCII string: format <c>('c', 8)</c>, shape <c>(-1)</c> or a fixed length.</summary>
    String,
    /// <summary>Array or memory with a fixed shape: numpy dtype in machine byte order, referenced zero copy.</summary>
    DtypeSequence,
    /// <summary>Array or memory of one-byte elements with a variable dimension: format <c>(u|i|b, 8)</c>, referenced zero copy.</summary>
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
    ShapeVariableNeedsByteElements,
    ShapeTooLarge,
    BitsNotApplicable,
    BitsOutOfRange,
}

/// <summary>
/// The decision for one member: which encoding, which shape, which format field or dtype.
/// Computed identically by the generator (to emit) and the analyzers (to report), so they never disagree.
/// </summary>
internal readonly struct SpeadItemPlan
{
    private SpeadItemPlan(ItemProblem problem, ItemEncoding encoding, ImmutableArray<long> shape, char code, int bits, long fixedElements, bool hasVariable)
    {
        Problem = problem;
        Encoding = encoding;
        Shape = shape;
        Code = code;
        Bits = bits;
        FixedElements = fixedElements;
        HasVariableDimension = hasVariable;
    }

    public ItemProblem Problem { get; }
    public ItemEncoding Encoding { get; }
    /// <summary>The shape sent in the descriptor, with -1 for the variable dimension.</summary>
    public ImmutableArray<long> Shape { get; }
    /// <summary>Format code (<c>u i f b c</c>) on the format path, or dtype kind letter on the dtype path.</summary>
    public char Code { get; }
    /// <summary>Format width in bits on the format path, or the dtype item size in bytes on the dtype path.</summary>
    public int Bits { get; }
    /// <summary>Product of the fixed dimensions (the element count when no dimension is variable).</summary>
    public long FixedElements { get; }
    public bool HasVariableDimension { get; }

    private static SpeadItemPlan Fail(ItemProblem problem) => new(problem, ItemEncoding.None, ImmutableArray<long>.Empty, '\0', 0, 0, false);

    public static SpeadItemPlan Create(SpeadTypeInfo type, SpeadAttributeValues attribute)
    {
        if (!type.IsSupported)
        {
            return Fail(ItemProblem.UnsupportedType);
        }

        if (attribute.Bits is { } bits)
        {
            if (type.Container != ContainerKind.Scalar || type.Element != ElementKind.Integer)
            {
                return Fail(ItemProblem.BitsNotApplicable);
            }

            if (bits < 1 || bits > type.ElementBytes * 8)
            {
                return Fail(ItemProblem.BitsOutOfRange);
            }
        }

        var declared = attribute.Shape;
        if (type.Container == ContainerKind.Scalar)
        {
            if (declared is { Length: > 0 })
            {
                return Fail(ItemProblem.ShapeOnScalar);
            }

            var empty = ImmutableArray<long>.Empty;
            return type.Element switch
            {
                ElementKind.Integer => new SpeadItemPlan(ItemProblem.None, type.IsSigned ? ItemEncoding.SignedField : ItemEncoding.UnsignedField, empty,
                    type.IsSigned ? 'i' : 'u', attribute.Bits ?? type.ElementBytes * 8, 1, false),
                ElementKind.Boolean => new SpeadItemPlan(ItemProblem.None, ItemEncoding.BooleanField, empty, 'b', 8, 1, false),
                ElementKind.Float => new SpeadItemPlan(ItemProblem.None, ItemEncoding.FloatField, empty, 'f', type.ElementBytes * 8, 1, false),
                ElementKind.Half => new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeScalar, empty, 'f', 2, 1, false),
                ElementKind.Complex => new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeScalar, empty, 'c', 16, 1, false),
                _ => Fail(ItemProblem.UnsupportedType),
            };
        }

        // Strings and sequences: default shape is one variable dimension where the encoding allows it.
        ImmutableArray<long> shape;
        if (declared is { Length: > 0 } given)
        {
            shape = given;
        }
        else if (type.Container == ContainerKind.String || type.ElementBytes == 1)
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

        if (type.Container == ContainerKind.String)
        {
            return shape.Length != 1
                ? Fail(ItemProblem.StringShapeRank)
                : new SpeadItemPlan(ItemProblem.None, ItemEncoding.String, shape, 'c', 8, product, variable == 1);
        }

        if (variable == 1)
        {
            // A numpy dtype cannot carry a variable dimension (spead2 rejects it), and the format path is
            // big-endian: only one-byte elements are the same bytes either way, so only they stay zero copy.
            if (type.ElementBytes != 1)
            {
                return Fail(ItemProblem.ShapeVariableNeedsByteElements);
            }

            var code = type.Element == ElementKind.Boolean ? 'b' : type.IsSigned ? 'i' : 'u';
            return new SpeadItemPlan(ItemProblem.None, ItemEncoding.FormatSequence, shape, code, 8, product, true);
        }

        var kind = type.Element switch
        {
            ElementKind.Boolean => 'b',
            ElementKind.Integer => type.IsSigned ? 'i' : 'u',
            ElementKind.Float or ElementKind.Half => 'f',
            _ => 'c',
        };
        return new SpeadItemPlan(ItemProblem.None, ItemEncoding.DtypeSequence, shape, kind, type.ElementBytes, product, false);
    }
}
