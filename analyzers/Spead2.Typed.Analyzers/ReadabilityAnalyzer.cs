using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>
/// SPEAD0016 a property item without set/init (at the property), SPEAD0017 a record that cannot be built from its
/// items is read (at the place it is read: a generic reader of the library with the record as type argument, or
/// its generated TryRead/TryReadInto). Both would otherwise compile and fail on every received heap.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReadabilityAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.PropertyWithoutSetter, DiagnosticDescriptors.UnreadableRecordRead);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (!SpeadTypeScan.ReferencesRuntime(start.Compilation))
            {
                return;
            }

            start.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
            start.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
            start.RegisterOperationAction(AnalyzeCreation, OperationKind.ObjectCreation);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var members = SpeadTypeScan.Members(type);
        if (members.IsEmpty || !type.IsRecord)
        {
            return;
        }

        var primary = SpeadMembers.FindPrimaryConstructor(type);
        foreach (var member in members)
        {
            if (member.Symbol is IPropertySymbol { SetMethod: null, IsStatic: false, IsIndexer: false, GetMethod: not null } property
                && SpeadRecordChecks.ParameterIndex(member, primary) < 0)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.PropertyWithoutSetter,
                    SpeadTypeScan.AttributeLocation(member, context.CancellationToken), property.Name, type.Name));
            }
        }
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var method = ((IInvocationOperation)context.Operation).TargetMethod;
        if (method.IsStatic && method.Name is "TryRead" or "TryReadInto" && method.ContainingType is { } owner)
        {
            Check(context, owner);
        }

        if (IsLibraryReader(method.ContainingType, method.Name))
        {
            foreach (var argument in method.TypeArguments)
            {
                Check(context, argument);
            }
        }
    }

    private static void AnalyzeCreation(OperationAnalysisContext context)
    {
        if (((IObjectCreationOperation)context.Operation).Type is INamedTypeSymbol { IsGenericType: true } created
            && IsLibraryReader(created, created.Name))
        {
            foreach (var argument in created.TypeArguments)
            {
                Check(context, argument);
            }
        }
    }

    /// <summary>A type or method of the runtime's Spead2.Typed namespace whose name says it reads (HeapReader, ReadAllAsync...).</summary>
    private static bool IsLibraryReader(INamedTypeSymbol? type, string name) =>
        type?.ContainingNamespace is { Name: "Typed", ContainingNamespace: { Name: "Spead2", ContainingNamespace.IsGlobalNamespace: true } }
        && name.IndexOf("Read", StringComparison.Ordinal) >= 0;

    private static void Check(OperationAnalysisContext context, ITypeSymbol candidate)
    {
        if (candidate is not INamedTypeSymbol { IsRecord: true } type || type.Locations.IsEmpty || !type.Locations[0].IsInSource)
        {
            return;
        }

        var members = SpeadMembers.Collect(type);
        if (members.IsEmpty)
        {
            return;
        }

        var problem = SpeadRecordChecks.ReadProblem(type, members);
        if (problem.Length > 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnreadableRecordRead, context.Operation.Syntax.GetLocation(), type.Name, problem));
        }
    }
}
