using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>SPEAD0002: only records get generated code; SPEAD0014: item schemas are not inherited.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RecordTypeAnalyzer : SpeadRecordAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.TypeNotRecord, DiagnosticDescriptors.InheritedItems);

    /// <inheritdoc />
    protected override void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (SpeadTypeScan.Members(type).IsEmpty)
        {
            return;
        }

        if (!type.IsRecord)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TypeNotRecord, type.Locations[0], type.Name));
        }

        if (SpeadMembers.FindSpeadBase(type) is { } speadBase)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InheritedItems, type.Locations[0], type.Name, speadBase.Name));
        }
    }
}
