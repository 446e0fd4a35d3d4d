using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>Helpers the per-rule analyzers share to find and point at [SpeadItem] members.</summary>
internal static class SpeadTypeScan
{
    /// <summary>True when the compilation references the runtime library (otherwise nothing can carry the attribute).</summary>
    public static bool ReferencesRuntime(Compilation compilation) =>
        compilation.GetTypeByMetadataName(SpeadAttributeValues.AttributeMetadataName) is not null;

    public static ImmutableArray<SpeadMember> Members(INamedTypeSymbol type) =>
        type.TypeKind is TypeKind.Class or TypeKind.Struct ? SpeadMembers.Collect(type) : ImmutableArray<SpeadMember>.Empty;

    /// <summary>The attribute's own syntax, so the squiggle sits on <c>SpeadItem(...)</c>.</summary>
    public static Location AttributeLocation(SpeadMember member, CancellationToken cancellationToken) =>
        member.Attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
        ?? (member.Symbol.Locations.Length > 0 ? member.Symbol.Locations[0] : Location.None);

    public static string ItemName(SpeadMember member, SpeadAttributeValues values) =>
        values.Name ?? SpeadNames.ToSnakeCase(member.Name);
}
