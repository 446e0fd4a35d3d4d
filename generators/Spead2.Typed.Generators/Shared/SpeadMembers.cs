using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Spead2.Typed.Generators.Shared;

/// <summary>One member carrying <c>[SpeadItem]</c>.</summary>
internal readonly struct SpeadMember
{
    public SpeadMember(ISymbol symbol, ITypeSymbol type, AttributeData attribute, bool misplaced)
    {
        Symbol = symbol;
        Type = type;
        Attribute = attribute;
        IsMisplaced = misplaced;
    }

    /// <summary>The positional parameter or the property.</summary>
    public ISymbol Symbol { get; }
    public ITypeSymbol Type { get; }
    public AttributeData Attribute { get; }
    /// <summary>True for a static, write-only or indexer property: it has no per-value getter to read.</summary>
    public bool IsMisplaced { get; }
    public string Name => Symbol.Name;
}

/// <summary>Finds the <c>[SpeadItem]</c> members of a type in the order their items are sent.</summary>
internal static class SpeadMembers
{
    public static bool IsSpeadItemAttribute(AttributeData attribute) =>
        attribute.AttributeClass is { Name: "SpeadItemAttribute", ContainingNamespace: { Name: "Typed", ContainingNamespace: { Name: "Spead2", ContainingNamespace.IsGlobalNamespace: true } } };

    /// <summary>The record's primary constructor, whose parameters are the positional members.</summary>
    public static IMethodSymbol? FindPrimaryConstructor(INamedTypeSymbol type)
    {
        if (!type.IsRecord)
        {
            return null;
        }

        foreach (var ctor in type.InstanceConstructors)
        {
            foreach (var reference in ctor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is TypeDeclarationSyntax)
                {
                    return ctor;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Positional parameters first (in parameter order), then properties in declaration order. This is
    /// the order of descriptors and values in the heap, mirroring spead2's insertion-ordered item group.
    /// </summary>
    public static ImmutableArray<SpeadMember> Collect(INamedTypeSymbol type)
    {
        var result = ImmutableArray.CreateBuilder<SpeadMember>();
        var primary = FindPrimaryConstructor(type);
        if (primary is not null)
        {
            foreach (var parameter in primary.Parameters)
            {
                foreach (var attribute in parameter.GetAttributes())
                {
                    if (IsSpeadItemAttribute(attribute))
                    {
                        result.Add(new SpeadMember(parameter, parameter.Type, attribute, false));
                    }
                }
            }
        }

        foreach (var member in type.GetMembers())
        {
            if (member is not IPropertySymbol property)
            {
                continue;
            }

            foreach (var attribute in property.GetAttributes())
            {
                if (IsSpeadItemAttribute(attribute))
                {
                    var misplaced = property.IsStatic || property.IsIndexer || property.GetMethod is null;
                    result.Add(new SpeadMember(property, property.Type, attribute, misplaced));
                }
            }
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// The nearest base type that has <c>[SpeadItem]</c> members, or null. Item schemas are not inherited:
    /// the derived record's static members would hide the base's and its heaps would lack the base's items.
    /// </summary>
    public static INamedTypeSymbol? FindSpeadBase(INamedTypeSymbol type)
    {
        for (var t = type.BaseType; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            // Members for records in source; the interface for records compiled elsewhere (whose positional
            // parameters' attributes are not visible through a syntax-based primary constructor lookup).
            if (!Collect(t).IsEmpty || ImplementsSpeadHeap(t))
            {
                return t;
            }
        }

        return null;
    }

    private static bool ImplementsSpeadHeap(INamedTypeSymbol type)
    {
        foreach (var i in type.Interfaces)
        {
            if (i is { Name: "ISpeadHeap", Arity: 1, ContainingNamespace: { Name: "Typed", ContainingNamespace: { Name: "Spead2", ContainingNamespace.IsGlobalNamespace: true } } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the type and every containing type is declared <c>partial</c> in source.</summary>
    public static bool IsPartialChain(INamedTypeSymbol type, out INamedTypeSymbol? firstNonPartial)
    {
        for (var t = type; t is not null; t = t.ContainingType)
        {
            if (!IsPartial(t))
            {
                firstNonPartial = t;
                return false;
            }
        }

        firstNonPartial = null;
        return true;
    }

    public static bool IsPartial(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax declaration)
            {
                foreach (var modifier in declaration.Modifiers)
                {
                    if (modifier.ValueText == "partial")
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>Where a parameter attribute is allowed: only on a record's positional parameters.</summary>
    public static bool IsPositionalParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } method
        && method.ContainingType is { } type
        && SymbolEqualityComparer.Default.Equals(FindPrimaryConstructor(type), method);
}
