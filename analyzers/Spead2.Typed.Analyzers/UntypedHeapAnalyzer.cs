using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Analyzers;

/// <summary>
/// SPEAD0012: the untyped API called with a constant reserved item ID — <c>Heap.AddItem</c>,
/// <c>AddItemCopy</c>, <c>AddItemStorage</c>, <c>AddImmediate</c>, <c>ItemGroup.AddItem</c>, and the
/// <c>Item</c> and <c>Descriptor</c> constructors.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UntypedHeapAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.UntypedReservedId);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var heap = start.Compilation.GetTypeByMetadataName("Spead2.Send.Heap");
            var itemGroup = start.Compilation.GetTypeByMetadataName("Spead2.Protocol.ItemGroup");
            var item = start.Compilation.GetTypeByMetadataName("Spead2.Protocol.Item");
            var descriptor = start.Compilation.GetTypeByMetadataName("Spead2.Protocol.Descriptor");
            if (heap is null)
            {
                return;
            }

            start.RegisterOperationAction(ctx =>
            {
                var invocation = (IInvocationOperation)ctx.Operation;
                var method = invocation.TargetMethod;
                var type = method.ContainingType;
                var watched = (SymbolEqualityComparer.Default.Equals(type, heap)
                        && method.Name is "AddItem" or "AddItemCopy" or "AddItemStorage" or "AddImmediate")
                    || (SymbolEqualityComparer.Default.Equals(type, itemGroup) && method.Name == "AddItem");
                if (watched)
                {
                    Check(ctx, invocation.Arguments, type.Name + "." + method.Name);
                }
            }, OperationKind.Invocation);

            start.RegisterOperationAction(ctx =>
            {
                var creation = (IObjectCreationOperation)ctx.Operation;
                var type = creation.Type;
                if (SymbolEqualityComparer.Default.Equals(type, item) || SymbolEqualityComparer.Default.Equals(type, descriptor))
                {
                    Check(ctx, creation.Arguments, "new " + type!.Name);
                }
            }, OperationKind.ObjectCreation);
        });
    }

    private static void Check(OperationAnalysisContext context, ImmutableArray<IArgumentOperation> arguments, string callee)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Name != "id")
            {
                continue;
            }

            var value = argument.Value;
            while (value is IConversionOperation conversion)
            {
                value = conversion.Operand;
            }

            if (!value.ConstantValue.HasValue || value.ConstantValue.Value is null)
            {
                return;
            }

            long id;
            try
            {
                id = Convert.ToInt64(value.ConstantValue.Value, System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is InvalidCastException or OverflowException or FormatException)
            {
                return;
            }

            if (ReservedIds.NameOf(id) is { } name)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UntypedReservedId, argument.Syntax.GetLocation(), callee, id, name));
            }

            return;
        }
    }
}
