using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>SPEAD0003 duplicate ID, SPEAD0005 reserved ID, SPEAD0006 ID out of range, SPEAD0007 ID too large for SPEAD-64-48.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ItemIdAnalyzer : SpeadRecordAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.DuplicateId, DiagnosticDescriptors.ReservedId, DiagnosticDescriptors.IdOutOfRange, DiagnosticDescriptors.IdTooLargeFor6448);

    /// <inheritdoc />
    protected override void Analyze(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var seen = new Dictionary<long, string>();
        foreach (var member in SpeadTypeScan.Members(type))
        {
            var values = SpeadAttributeValues.Read(member.Attribute);
            if (!values.IsValid)
            {
                continue;
            }

            var id = values.Id;
            var location = SpeadTypeScan.AttributeLocation(member, context.CancellationToken);
            if (ReservedIds.NameOf(id) is { } reserved)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.ReservedId, location, id, member.Name, reserved));
            }
            else if (id < 0 || id > ReservedIds.Max6440)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.IdOutOfRange, location, Hex(id), member.Name));
            }
            else if (id > ReservedIds.Max6448)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.IdTooLargeFor6448, location, id, member.Name));
            }

            if (seen.TryGetValue(id, out var first))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DuplicateId, location, id, member.Name, first));
            }
            else
            {
                seen.Add(id, member.Name);
            }
        }
    }

    /// <summary>IDs are written in hex in every message, a negative one as -0x5.</summary>
    private static string Hex(long id) => id < 0
        ? "-0x" + (-id).ToString("X", CultureInfo.InvariantCulture)
        : "0x" + id.ToString("X", CultureInfo.InvariantCulture);
}
