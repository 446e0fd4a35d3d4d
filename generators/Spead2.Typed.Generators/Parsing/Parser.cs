using System.Collections.Generic;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Spead2.Typed.Generators.Model;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Generators.Parsing;

/// <summary>
/// Turns a <c>[SpeadItem]</c> match into a <see cref="SpeadTypeModel"/> of plain values. Anything the
/// analyzers report as an error (not partial, not a record, unsupported type, bad shape or bits,
/// misplaced attribute) gives null: the type is skipped rather than half generated, and nothing throws.
/// </summary>
internal static class Parser
{
    public static SpeadTypeModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = context.TargetSymbol switch
        {
            IParameterSymbol parameter when SpeadMembers.IsPositionalParameter(parameter) => parameter.ContainingType,
            IPropertySymbol property => property.ContainingType,
            _ => null,
        };
        return type is null ? null : ParseType(type, cancellationToken);
    }

    /// <summary>
    /// Cheap syntactic test: a record with a positional parameter carrying a <c>property:</c>-targeted attribute
    /// whose name looks like SpeadItem. The transform then checks the real attribute type.
    /// </summary>
    public static bool HasPropertyTargetedAttribute(SyntaxNode node)
    {
        if (node is not RecordDeclarationSyntax { ParameterList: { } parameters })
        {
            return false;
        }

        foreach (var parameter in parameters.Parameters)
        {
            foreach (var list in parameter.AttributeLists)
            {
                if (list.Target?.Identifier.IsKind(SyntaxKind.PropertyKeyword) != true)
                {
                    continue;
                }

                foreach (var attribute in list.Attributes)
                {
                    var name = attribute.Name switch
                    {
                        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
                        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
                        SimpleNameSyntax n => n.Identifier.ValueText,
                        _ => "",
                    };
                    if (name is "SpeadItem" or "SpeadItemAttribute")
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    public static SpeadTypeModel? ParseDeclaration(GeneratorSyntaxContext context, CancellationToken cancellationToken) =>
        context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is INamedTypeSymbol type
            ? ParseType(type, cancellationToken)
            : null;

    public static SpeadTypeModel? ParseType(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (!type.IsRecord || !SpeadMembers.IsPartialChain(type, out _) || SpeadMembers.FindSpeadBase(type) is not null)
        {
            return null;
        }

        var members = SpeadMembers.Collect(type);
        if (SpeadRecordChecks.HasErrors(type, members))
        {
            // Any SPEAD error (duplicate or reserved ID, non-ASCII text, a clash with generated members...): emit
            // nothing rather than code that sends two items on one ID or fails to compile; the analyzers say why.
            return null;
        }

        var items = new List<SpeadItemModel>(members.Length);
        var primary = SpeadMembers.FindPrimaryConstructor(type);
        foreach (var member in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var item = ParseItem(member, primary);
            if (item is null)
            {
                return null;
            }

            items.Add(item);
        }

        if (items.Count == 0)
        {
            return null;
        }

        var containing = new List<ContainingTypeModel>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, new ContainingTypeModel(Keyword(outer), NameWithTypeParameters(outer)));
        }

        var ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        var fullName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        return new SpeadTypeModel(
            ns,
            new EquatableArray<ContainingTypeModel>(containing.ToArray()),
            Keyword(type),
            NameWithTypeParameters(type),
            fullName,
            HintName(fullName),
            new EquatableArray<SpeadItemModel>(items.ToArray()),
            SpeadRecordChecks.ReadProblem(type, members));
    }

    private static SpeadItemModel? ParseItem(SpeadMember member, IMethodSymbol? primary)
    {
        if (member.IsMisplaced)
        {
            return null;
        }

        var attribute = SpeadAttributeValues.Read(member.Attribute);
        if (!attribute.IsValid)
        {
            return null;
        }

        var info = SpeadTypeInfo.From(member.Type);
        var plan = SpeadItemPlan.Create(info, attribute);
        if (plan.Problem != ItemProblem.None)
        {
            return null;
        }

        var integerType = plan.Encoding switch
        {
            ItemEncoding.UnsignedField => "ulong",
            ItemEncoding.SignedField => "long",
            _ => "",
        };
        return new SpeadItemModel(
            Escape(member.Name),
            attribute.Id,
            attribute.Name ?? SpeadNames.ToSnakeCase(member.Name),
            attribute.Description ?? "",
            new EquatableArray<long>(plan.Shape),
            plan.Encoding,
            plan.Code,
            plan.Bits,
            plan.FixedElements,
            info.ElementTypeName,
            integerType,
            info.Container,
            SpeadRecordChecks.ParameterIndex(member, primary),
            (info.Container is ContainerKind.String or ContainerKind.Array or ContainerKind.Rectangular) && member.Type.NullableAnnotation == NullableAnnotation.Annotated,
            plan.ByteOrder,
            plan.Order,
            info.Rank);
    }

    private static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, IsValueType: true } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Interface } => "interface",
        { IsValueType: true } => "struct",
        _ => "class",
    };

    private static string NameWithTypeParameters(INamedTypeSymbol type)
    {
        if (type.TypeParameters.Length == 0)
        {
            return type.Name;
        }

        var sb = new StringBuilder(type.Name).Append('<');
        for (var i = 0; i < type.TypeParameters.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(type.TypeParameters[i].Name);
        }

        return sb.Append('>').ToString();
    }

    /// <summary>Ns.Outer&lt;T&gt;.Dump → Ns.Outer_T.Dump.Spead.g.cs: unique per type and safe as a file name.</summary>
    private static string HintName(string fullyQualifiedName)
    {
        var sb = new StringBuilder(fullyQualifiedName.Length + 12);
        var name = fullyQualifiedName.StartsWith("global::", System.StringComparison.Ordinal)
            ? fullyQualifiedName.Substring("global::".Length)
            : fullyQualifiedName;
        foreach (var c in name)
        {
            sb.Append(c switch
            {
                '<' or ',' => '_',
                '>' or ' ' => '\0',
                _ => c,
            });
        }

        return sb.Replace("\0", "").Append(".Spead.g.cs").ToString();
    }
}
