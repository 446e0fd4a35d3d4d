using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>SPEAD0013: [SpeadItem] on a parameter that is not a record's positional parameter, or on a static, write-only, indexer or interface property.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AttributePlacementAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.MisplacedAttribute);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (SpeadTypeScan.ReferencesRuntime(start.Compilation))
            {
                start.RegisterSymbolAction(AnalyzeMethod, SymbolKind.Method);
                start.RegisterSymbolAction(AnalyzeProperty, SymbolKind.Property);
            }
        });
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context)
    {
        var method = (IMethodSymbol)context.Symbol;
        foreach (var parameter in method.Parameters)
        {
            foreach (var attribute in parameter.GetAttributes())
            {
                if (SpeadMembers.IsSpeadItemAttribute(attribute) && !SpeadMembers.IsPositionalParameter(parameter))
                {
                    Report(context, attribute, parameter.Name, "it is a parameter of '" + method.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)
                        + "', not a positional parameter of a record");
                }
            }
        }
    }

    private static void AnalyzeProperty(SymbolAnalysisContext context)
    {
        var property = (IPropertySymbol)context.Symbol;
        string? reason = property switch
        {
            { IsStatic: true } => "the property is static, so it has no value per heap",
            { ContainingType.TypeKind: TypeKind.Interface } => "interface members are not sent; put the items on a record",
            { IsIndexer: true } => "an indexer has no single value",
            { GetMethod: null } => "the property has no getter",
            _ => null,
        };
        if (reason is null)
        {
            return;
        }

        foreach (var attribute in property.GetAttributes())
        {
            if (SpeadMembers.IsSpeadItemAttribute(attribute))
            {
                Report(context, attribute, property.Name, reason);
            }
        }
    }

    private static void Report(SymbolAnalysisContext context, AttributeData attribute, string member, string reason)
    {
        var location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? context.Symbol.Locations[0];
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MisplacedAttribute, location, member, reason));
    }
}
