using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>SPEAD0004 duplicate item name (explicit or defaulted), SPEAD0011 non-ASCII name or description.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ItemNameAnalyzer : SpeadRecordAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.DuplicateName, DiagnosticDescriptors.NonAsciiText);

    /// <inheritdoc />
    protected override void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in SpeadTypeScan.Members(type))
        {
            var values = SpeadAttributeValues.Read(member.Attribute);
            if (!values.IsValid)
            {
                continue;
            }

            var location = SpeadTypeScan.AttributeLocation(member, context.CancellationToken);
            var name = SpeadTypeScan.ItemName(member, values);
            if (!SpeadNames.IsAscii(name))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NonAsciiText, location, "name", member.Name));
            }

            if (values.Description is { } description && !SpeadNames.IsAscii(description))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NonAsciiText, location, "description", member.Name));
            }

            if (seen.TryGetValue(name, out var first))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateName, location, name, member.Name, first));
            }
            else
            {
                seen.Add(name, member.Name);
            }
        }
    }
}
