using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Spead2.Typed.Analyzers;

/// <summary>SPEAD0002: only records get generated code.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RecordTypeAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.TypeNotRecord);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (SpeadTypeScan.ReferencesRuntime(start.Compilation))
            {
                start.RegisterSymbolAction(Analyze, SymbolKind.NamedType);
            }
        });
    }

    private static void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!type.IsRecord && !SpeadTypeScan.Members(type).IsEmpty)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TypeNotRecord, type.Locations[0], type.Name));
        }
    }
}
