using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>
/// SPEAD0018: a member of a [SpeadItem] record named like a member the generator declares. The generator emits
/// nothing for such a record (<see cref="SpeadRecordChecks.HasErrors"/>), so this rule is the only message.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratedMemberClashAnalyzer : SpeadRecordAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.GeneratedMemberClash);

    /// <inheritdoc />
    protected override void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (!type.IsRecord || SpeadTypeScan.Members(type).IsEmpty)
        {
            return;
        }

        foreach (var member in SpeadRecordChecks.ClashingMembers(type))
        {
            var location = member.Locations.Length > 0 ? member.Locations[0] : Location.None;
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratedMemberClash, location, type.Name, member.Name));
        }
    }
}
