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
        DiagnosticDescriptors.UnsupportedType, DiagnosticDescriptors.InvalidShape, DiagnosticDescriptors.InvalidBits, DiagnosticDescriptors.InvalidOrder);

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
                    "Bits applies only to integer and enum scalars, and to arrays of byte or sbyte (packed sub-byte fields)"),
                ItemProblem.BitsOutOfRange => Diagnostic.Create(DiagnosticDescriptors.InvalidBits, location, values.Bits, member.Name, typeName,
                    info.Container == ContainerKind.Scalar
                        ? "it must be from 1 to " + (info.ElementBytes * 8).ToString(System.Globalization.CultureInfo.InvariantCulture)
                        : "packed array elements take from 1 to 7 bits"),
                ItemProblem.ByteOrderNotApplicable => Diagnostic.Create(DiagnosticDescriptors.InvalidOrder, location, "ByteOrder", member.Name,
                    "ByteOrder applies only to numpy-dtype items (arrays without a variable dimension or Bits, Half, Complex); format fields are big-endian by definition"),
                ItemProblem.OrderNotApplicable => Diagnostic.Create(DiagnosticDescriptors.InvalidOrder, location, "Order", member.Name,
                    "Fortran order applies only to numpy-dtype arrays (no variable dimension, no Bits, not a string or scalar)"),
                ItemProblem.FortranNeedsRectangular => Diagnostic.Create(DiagnosticDescriptors.InvalidOrder, location, "Order", member.Name,
                    "a flat '" + typeName + "' does not say which order its elements are in; declare the member as a rectangular array "
                    + info.ElementTypeName.Replace("global::", "") + "[" + new string(',', (values.Shape?.Length ?? 2) - 1) + "] indexed like the numpy array (value[i, j]), which is sent in Fortran order"),
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
        ItemProblem.ShapeRequired => info.Container == ContainerKind.Rectangular
            ? "a rectangular array needs a Shape of its rank (for example Shape = new[] { SpeadDimension.RunTime, 2 })"
            : "'" + typeName + "' elements (Half, Complex) exist only as numpy dtypes, which cannot vary in size, so it needs a Shape with fixed or run-time dimensions (for example Shape = new[] { 1024 })",
        ItemProblem.ShapeRankMismatch => "the Shape has a different number of dimensions than the rectangular array '" + typeName + "'",
        ItemProblem.StringShapeRank => "a string has exactly one dimension: -1 (variable length) or its fixed length",
        ItemProblem.ShapeNegative => "a dimension must be 0 or more, -1 (SpeadDimension.Variable) for the variable one, or -2 (SpeadDimension.RunTime) for one given at run time",
        ItemProblem.ShapeMultipleVariable => "at most one dimension may be -1",
        ItemProblem.ShapeVariableNeedsFormatElements => "a variable dimension (-1) or Bits needs spead2's format path, which has no field for '"
            + info.ElementTypeName.Replace("global::", "") + "' elements (a numpy dtype cannot vary in size); use fixed or run-time dimensions",
        ItemProblem.ShapeTooLarge => "the item would be larger than 2^56 bytes",
        _ => problem.ToString(),
    };
}
