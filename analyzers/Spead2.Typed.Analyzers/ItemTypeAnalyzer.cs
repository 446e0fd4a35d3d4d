using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>
/// SPEAD0008 unsupported member type, SPEAD0009 invalid Shape, SPEAD0010 invalid Bits. The decision comes
/// from <see cref="SpeadItemPlan"/>, the same code the generator uses to choose an encoding.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ItemTypeAnalyzer : SpeadRecordAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.UnsupportedType, DiagnosticDescriptors.InvalidShape, DiagnosticDescriptors.InvalidBits);

    /// <inheritdoc />
    protected override void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        foreach (var member in SpeadTypeScan.Members(type))
        {
            var values = SpeadAttributeValues.Read(member.Attribute);
            if (!values.IsValid)
            {
                continue;
            }

            var info = SpeadTypeInfo.From(member.Type);
            var plan = SpeadItemPlan.Create(info, values);
            var location = SpeadTypeScan.AttributeLocation(member, context.CancellationToken);
            var typeName = member.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            var diagnostic = plan.Problem switch
            {
                ItemProblem.UnsupportedType => Diagnostic.Create(DiagnosticDescriptors.UnsupportedType, location, member.Name, typeName),
                ItemProblem.BitsNotApplicable => Diagnostic.Create(DiagnosticDescriptors.InvalidBits, location, values.Bits, member.Name, typeName,
                    "Bits applies only to integer and enum scalars"),
                ItemProblem.BitsOutOfRange => Diagnostic.Create(DiagnosticDescriptors.InvalidBits, location, values.Bits, member.Name, typeName,
                    "it must be from 1 to " + (info.ElementBytes * 8).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ItemProblem.None => null,
                _ => Diagnostic.Create(DiagnosticDescriptors.InvalidShape, location, member.Name, ShapeReason(plan.Problem, typeName, info)),
            };
            if (diagnostic is not null)
            {
                context.ReportDiagnostic(diagnostic);
            }
        }
    }

    private static string ShapeReason(ItemProblem problem, string typeName, SpeadTypeInfo info) => problem switch
    {
        ItemProblem.ShapeOnScalar => "a scalar of type '" + typeName + "' takes no Shape",
        ItemProblem.ShapeRequired => "'" + typeName + "' has multi-byte elements, so it needs a Shape with fixed dimensions (for example Shape = new[] { 1024 })",
        ItemProblem.StringShapeRank => "a string has exactly one dimension: -1 (variable length) or its fixed length",
        ItemProblem.ShapeNegative => "a dimension must be 0 or more, or -1 for the variable one",
        ItemProblem.ShapeMultipleVariable => "at most one dimension may be -1",
        ItemProblem.ShapeVariableNeedsByteElements => "a variable dimension (-1) needs one-byte elements: a numpy dtype cannot vary in size, and '"
            + info.ElementTypeName.Replace("global::", "") + "' elements would have to be copied into big-endian format fields",
        ItemProblem.ShapeTooLarge => "the item would be larger than 2^56 bytes",
        _ => problem.ToString(),
    };
}
