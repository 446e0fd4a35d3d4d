using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Spead2.Typed.Generators.Shared;

/// <summary>
/// Whole-record checks shared by the generator (which emits nothing when one fails) and the analyzers (which say
/// why): ID and name rules, clashes with generated members, and whether a value can be built from its items.
/// </summary>
internal static class SpeadRecordChecks
{
    /// <summary>Members the generator declares on the record; a user member of the same name breaks the generated part.</summary>
    public static readonly ImmutableArray<string> GeneratedMemberNames = ImmutableArray.Create(
        "Layout", "Descriptors", "AddItems", "AddItem", "TryRead", "TryReadInto");

    /// <summary>True for a name the generator declares (including its private <c>__spead</c> helpers).</summary>
    public static bool IsGeneratedMemberName(string name) =>
        GeneratedMemberNames.Contains(name)
        || name.StartsWith("__spead", StringComparison.Ordinal)
        || name.StartsWith("__Spead", StringComparison.Ordinal);

    /// <summary>The user-declared members whose names clash with generated ones (generated source excluded).</summary>
    public static IEnumerable<ISymbol> ClashingMembers(INamedTypeSymbol type)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || !IsGeneratedMemberName(member.Name) || member is IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            {
                continue;
            }

            var inUserCode = false;
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                inUserCode |= !reference.SyntaxTree.FilePath.EndsWith(".Spead.g.cs", StringComparison.Ordinal);
            }

            if (inUserCode)
            {
                yield return member;
            }
        }
    }

    /// <summary>
    /// True when the record breaks a rule the analyzers report as an error besides the per-item ones
    /// <see cref="SpeadItemPlan"/> covers: duplicate, reserved or out-of-range IDs, duplicate or non-ASCII names and
    /// descriptions, members named like generated ones.
    /// </summary>
    public static bool HasErrors(INamedTypeSymbol type, ImmutableArray<SpeadMember> members)
    {
        var ids = new HashSet<long>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var values = SpeadAttributeValues.Read(member.Attribute);
            if (!values.IsValid)
            {
                return true;
            }

            var name = values.Name ?? SpeadNames.ToSnakeCase(member.Name);
            if (ReservedIds.NameOf(values.Id) is not null || values.Id < 0 || values.Id > ReservedIds.Max6440
                || !ids.Add(values.Id) || !names.Add(name) || !SpeadNames.IsAscii(name)
                || (values.Description is { } description && !SpeadNames.IsAscii(description)))
            {
                return true;
            }
        }

        foreach (var _ in ClashingMembers(type))
        {
            return true;
        }

        return false;
    }

    /// <summary>The member's position among the primary constructor's parameters, or -1.</summary>
    public static int ParameterIndex(SpeadMember member, IMethodSymbol? primary)
    {
        if (member.Symbol is IParameterSymbol parameter)
        {
            return parameter.Ordinal;
        }

        // `[property: SpeadItem]` on a positional parameter lands on the property, which the constructor sets.
        if (primary is not null)
        {
            foreach (var p in primary.Parameters)
            {
                if (p.Name == member.Name)
                {
                    return p.Ordinal;
                }
            }
        }

        return -1;
    }

    /// <summary>
    /// Why a value cannot be built from its items, or empty. Generated <c>TryRead</c> calls the primary
    /// constructor with the positional items and sets the property items in an object initializer, so every
    /// constructor parameter must be an item, every property item settable, and no other member required.
    /// </summary>
    public static string ReadProblem(INamedTypeSymbol type, ImmutableArray<SpeadMember> members)
    {
        if (type.IsAbstract)
        {
            return "the record is abstract";
        }

        var primary = SpeadMembers.FindPrimaryConstructor(type);
        if (primary is not null)
        {
            foreach (var parameter in primary.Parameters)
            {
                var isItem = false;
                foreach (var member in members)
                {
                    isItem |= member.Name == parameter.Name;
                }

                if (!isItem)
                {
                    return "its positional parameter '" + parameter.Name + "' is not a [SpeadItem]";
                }
            }
        }
        else if (!type.IsValueType)
        {
            var parameterless = false;
            foreach (var ctor in type.InstanceConstructors)
            {
                parameterless |= ctor.Parameters.Length == 0;
            }

            if (!parameterless)
            {
                return "it has no parameterless constructor";
            }
        }

        var itemProperties = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var member in members)
        {
            if (member.Symbol is IPropertySymbol property && (primary is null || ParameterIndex(member, primary) < 0))
            {
                if (property.SetMethod is null)
                {
                    return "its property '" + property.Name + "' has no set or init accessor";
                }

                itemProperties.Add(property.Name);
            }
        }

        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var member in t.GetMembers())
            {
                var required = member switch
                {
                    IPropertySymbol p => p.IsRequired,
                    IFieldSymbol f => f.IsRequired,
                    _ => false,
                };
                if (required && !(SymbolEqualityComparer.Default.Equals(t, type) && itemProperties.Contains(member.Name)))
                {
                    return "its required member '" + member.Name + "' is not a [SpeadItem]";
                }
            }
        }

        return "";
    }

}
