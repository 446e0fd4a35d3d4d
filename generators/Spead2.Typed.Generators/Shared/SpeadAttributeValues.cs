using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Spead2.Typed.Generators.Shared;

/// <summary>The arguments of one <c>[SpeadItem]</c> usage, read from the attribute data as plain values.</summary>
internal readonly struct SpeadAttributeValues
{
    /// <summary>Metadata name of the attribute in the runtime library.</summary>
    public const string AttributeMetadataName = "Spead2.Typed.SpeadItemAttribute";

    private SpeadAttributeValues(bool valid, long id, string? name, string? description, ImmutableArray<long>? shape, int? bits, int byteOrder, int order)
    {
        ByteOrder = byteOrder;
        Order = order;
        IsValid = valid;
        Id = id;
        Name = name;
        Description = description;
        Shape = shape;
        Bits = bits;
    }

    /// <summary>False when the attribute has errors (for example a missing id); nothing should be built from it.</summary>
    public bool IsValid { get; }
    public long Id { get; }
    /// <summary>The explicit name, or null when defaulted to the member name in snake_case.</summary>
    public string? Name { get; }
    public string? Description { get; }
    /// <summary>The declared shape, or null when <c>Shape</c> was not given.</summary>
    public ImmutableArray<long>? Shape { get; }
    /// <summary>The declared width, or null when <c>Bits</c> was not given.</summary>
    public int? Bits { get; }
    /// <summary><c>SpeadByteOrder</c>: 0 native, 1 little-endian, 2 big-endian.</summary>
    public int ByteOrder { get; }
    /// <summary><c>ArrayOrder</c>: 0 C, 1 Fortran.</summary>
    public int Order { get; }

    public static SpeadAttributeValues Read(AttributeData attribute)
    {
        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not { } idValue)
        {
            return default;
        }

        long id;
        switch (idValue)
        {
            case long l: id = l; break;
            case int i: id = i; break;
            default: return default;
        }

        string? name = null;
        string? description = null;
        ImmutableArray<long>? shape = null;
        int? bits = null;
        var byteOrder = 0;
        var order = 0;
        foreach (var pair in attribute.NamedArguments)
        {
            switch (pair.Key)
            {
                case "Name":
                    name = pair.Value.Value as string;
                    break;
                case "Description":
                    description = pair.Value.Value as string;
                    break;
                case "Bits":
                    if (pair.Value.Value is int b)
                    {
                        bits = b;
                    }

                    break;
                case "ByteOrder":
                    if (pair.Value.Value is int bo)
                    {
                        byteOrder = bo;
                    }

                    break;
                case "Order":
                    if (pair.Value.Value is int o)
                    {
                        order = o;
                    }

                    break;
                case "Shape":
                    if (pair.Value.Kind == TypedConstantKind.Array && !pair.Value.IsNull)
                    {
                        var builder = ImmutableArray.CreateBuilder<long>(pair.Value.Values.Length);
                        foreach (var v in pair.Value.Values)
                        {
                            if (v.Value is int d)
                            {
                                builder.Add(d);
                            }
                            else
                            {
                                return default;
                            }
                        }

                        shape = builder.MoveToImmutable();
                    }
                    else if (pair.Value.IsNull)
                    {
                        shape = ImmutableArray<long>.Empty;
                    }

                    break;
            }
        }

        return new SpeadAttributeValues(true, id, name, description, shape, bits, byteOrder, order);
    }
}
