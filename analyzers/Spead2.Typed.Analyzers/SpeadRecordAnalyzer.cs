using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>
/// Base of the analyzers that look at types with <c>[SpeadItem]</c> members: they run only in compilations that
/// reference the runtime, once per named type, concurrently and not on generated code.
/// </summary>
public abstract class SpeadRecordAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public sealed override void Initialize(AnalysisContext context)
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

    /// <summary>Reports diagnostics for one named type.</summary>
    protected abstract void Analyze(SymbolAnalysisContext context);
}
