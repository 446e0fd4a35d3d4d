using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Spead2.Typed.Generators.Emit;
using Spead2.Typed.Generators.Model;
using Spead2.Typed.Generators.Parsing;
using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Generators;

/// <summary>
/// The pipeline only: <c>[SpeadItem]</c> members → one model per record → source. Parsing lives in
/// <see cref="Parser"/>, emitting in <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SpeadSourceGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Each attributed member yields the model of its whole record, so a record with N items yields the
        // same (equal) model N times; the Collect step below keeps one. Building from the type rather than
        // grouping members keeps the model complete even for partial records spread over several files.
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SpeadAttributeValues.AttributeMetadataName,
                predicate: static (node, _) => node is ParameterSyntax or PropertyDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.MemberModels)
            .Where(static m => m is not null)
            .Select(static (m, _) => m!)
            .WithTrackingName(TrackingNames.ValidModels);

        // ForAttributeWithMetadataName looks at the symbol a node declares, so `[property: SpeadItem]` on a
        // positional parameter (an attribute of the generated property, not of the parameter) is never matched.
        // Records whose items are all declared that way are found syntactically instead.
        var propertyTargeted = context.SyntaxProvider
            .CreateSyntaxProvider(
                predicate: static (node, _) => Parser.HasPropertyTargetedAttribute(node),
                transform: static (ctx, ct) => Parser.ParseDeclaration(ctx, ct))
            .Where(static m => m is not null)
            .Select(static (m, _) => m!)
            .WithTrackingName(TrackingNames.PropertyTargetedModels);

        var distinct = models
            .Collect()
            .Combine(propertyTargeted.Collect())
            .Select(static (all, _) => Distinct(all.Left.AddRange(all.Right)))
            .WithTrackingName(TrackingNames.Collected)
            .SelectMany(static (all, _) => all)
            .WithTrackingName(TrackingNames.TypeModels);

        context.RegisterSourceOutput(distinct, static (spc, model) => spc.AddSource(model.HintName, Emitter.Emit(model)));
    }

    /// <summary>One model per hint name, in ordinal order of hint names so the output order is stable.</summary>
    private static EquatableArray<SpeadTypeModel> Distinct(ImmutableArray<SpeadTypeModel> all)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<SpeadTypeModel>(all.Length);
        foreach (var model in all)
        {
            if (seen.Add(model.HintName))
            {
                result.Add(model);
            }
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.HintName, b.HintName));
        return new EquatableArray<SpeadTypeModel>(result.ToArray());
    }
}
