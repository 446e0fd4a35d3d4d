using Microsoft.CodeAnalysis;

namespace Spead2.Typed.Generators.Shared;

/// <summary>How a member's value is held: a single value, a string, or a contiguous run of elements.</summary>
internal enum ContainerKind
{
    /// <summary>The type cannot be sent.</summary>
    Unsupported,
    /// <summary>One number, bool, <c>Half</c> or <c>Complex</c> (or an enum).</summary>
    Scalar,
    /// <summary><c>string</c>: ASCII characters, format <c>('c', 8)</c>.</summary>
    String,
    /// <summary><c>T[]</c>.</summary>
    Array,
    /// <summary><c>Memory&lt;T&gt;</c>.</summary>
    Memory,
    /// <summary><c>ReadOnlyMemory&lt;T&gt;</c>.</summary>
    ReadOnlyMemory,
    /// <summary>A rectangular array <c>T[,]</c>, <c>T[,,]</c>...: C-indexed like a numpy array; its rank is the shape's.</summary>
    Rectangular,
}

/// <summary>The numeric family of a scalar or of an array's elements.</summary>
internal enum ElementKind
{
    None,
    Boolean,
    Integer,
    Float,
    Half,
    Complex,
}

/// <summary>
/// What a member's C# type means to SPEAD, worked out from the symbol once and then kept as plain
/// values (strings, ints, bools) so that the generator's models never hold a symbol.
/// </summary>
internal readonly struct SpeadTypeInfo
{
    public SpeadTypeInfo(ContainerKind container, ElementKind element, bool isSigned, int elementBytes, bool isEnum, string elementTypeName, string integerTypeName, int rank = 1)
    {
        Rank = rank;
        Container = container;
        Element = element;
        IsSigned = isSigned;
        ElementBytes = elementBytes;
        IsEnum = isEnum;
        ElementTypeName = elementTypeName;
        IntegerTypeName = integerTypeName;
    }

    public static SpeadTypeInfo Unsupported => new(ContainerKind.Unsupported, ElementKind.None, false, 0, false, "", "");

    public ContainerKind Container { get; }
    public ElementKind Element { get; }
    /// <summary>Signed integer (or enum with a signed underlying type).</summary>
    public bool IsSigned { get; }
    /// <summary>Size in bytes of one element (of the scalar itself for scalars; 1 for string characters).</summary>
    public int ElementBytes { get; }
    public bool IsEnum { get; }
    /// <summary>Fully qualified element type (the scalar type for scalars), e.g. <c>float</c> or <c>global::Ns.Mode</c>.</summary>
    public string ElementTypeName { get; }
    /// <summary>For integers and enums, the C# keyword of the (underlying) integer type, e.g. <c>ulong</c>; else empty.</summary>
    public string IntegerTypeName { get; }

    /// <summary>Number of dimensions of a rectangular array (1 for other containers).</summary>
    public int Rank { get; }

    public bool IsSupported => Container != ContainerKind.Unsupported;
    public bool IsSequence => Container is ContainerKind.Array or ContainerKind.Memory or ContainerKind.ReadOnlyMemory or ContainerKind.Rectangular;

    /// <summary>
    /// Classifies a member type. Anything not listed in the supported set gives <see cref="Unsupported"/>;
    /// the analyzers turn that into SPEAD0008 and the generator skips the type.
    /// </summary>
    public static SpeadTypeInfo From(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_String)
        {
            return new SpeadTypeInfo(ContainerKind.String, ElementKind.None, false, 1, false, "string", "");
        }

        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank == 1)
            {
                return Sequence(ContainerKind.Array, array.ElementType);
            }

            var element = Classify(ContainerKind.Rectangular, array.ElementType);
            return element.IsSupported
                ? new SpeadTypeInfo(ContainerKind.Rectangular, element.Element, element.IsSigned, element.ElementBytes, element.IsEnum, element.ElementTypeName, element.IntegerTypeName, array.Rank)
                : Unsupported;
        }

        if (type is INamedTypeSymbol named && named.IsGenericType && named.TypeArguments.Length == 1
            && named.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
        {
            if (named.MetadataName == "Memory`1")
            {
                return Sequence(ContainerKind.Memory, named.TypeArguments[0]);
            }

            if (named.MetadataName == "ReadOnlyMemory`1")
            {
                return Sequence(ContainerKind.ReadOnlyMemory, named.TypeArguments[0]);
            }
        }

        return Classify(ContainerKind.Scalar, type);
    }

    private static SpeadTypeInfo Sequence(ContainerKind container, ITypeSymbol element) => Classify(container, element);

    private static SpeadTypeInfo Classify(ContainerKind container, ITypeSymbol type)
    {
        var isEnum = false;
        var elementName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var inspected = type;
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            isEnum = true;
            inspected = underlying;
        }

        switch (inspected.SpecialType)
        {
            case SpecialType.System_Boolean:
                return new SpeadTypeInfo(container, ElementKind.Boolean, false, 1, false, "bool", "");
            case SpecialType.System_SByte:
                return Integer(container, true, 1, isEnum, elementName, "sbyte");
            case SpecialType.System_Byte:
                return Integer(container, false, 1, isEnum, elementName, "byte");
            case SpecialType.System_Int16:
                return Integer(container, true, 2, isEnum, elementName, "short");
            case SpecialType.System_UInt16:
                return Integer(container, false, 2, isEnum, elementName, "ushort");
            case SpecialType.System_Int32:
                return Integer(container, true, 4, isEnum, elementName, "int");
            case SpecialType.System_UInt32:
                return Integer(container, false, 4, isEnum, elementName, "uint");
            case SpecialType.System_Int64:
                return Integer(container, true, 8, isEnum, elementName, "long");
            case SpecialType.System_UInt64:
                return Integer(container, false, 8, isEnum, elementName, "ulong");
            case SpecialType.System_Single:
                return new SpeadTypeInfo(container, ElementKind.Float, true, 4, false, "float", "");
            case SpecialType.System_Double:
                return new SpeadTypeInfo(container, ElementKind.Float, true, 8, false, "double", "");
        }

        if (inspected is INamedTypeSymbol { IsGenericType: false } named)
        {
            if (named.Name == "Half" && named.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
            {
                return new SpeadTypeInfo(container, ElementKind.Half, true, 2, false, "global::System.Half", "");
            }

            if (named.Name == "Complex" && named.ContainingNamespace is { Name: "Numerics", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
            {
                return new SpeadTypeInfo(container, ElementKind.Complex, true, 16, false, "global::System.Numerics.Complex", "");
            }
        }

        return Unsupported;
    }

    private static SpeadTypeInfo Integer(ContainerKind container, bool signed, int bytes, bool isEnum, string elementName, string keyword) =>
        new(container, ElementKind.Integer, signed, bytes, isEnum, isEnum ? elementName : keyword, keyword);
}
