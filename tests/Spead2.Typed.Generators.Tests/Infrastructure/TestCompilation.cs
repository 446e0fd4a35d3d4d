using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Spead2.Typed.Generators.Tests.Infrastructure;

/// <summary>Builds in-memory compilations against the .NET 10 reference assemblies and the runtime library.</summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static ImmutableArray<MetadataReference> References { get; } =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Spead2.Typed.SpeadItemAttribute).Assembly.Location),
    ];

    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create(
            "TestAssembly",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new SpeadSourceGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator and returns the generated sources plus every compile error of the result.</summary>
    public static (GeneratorDriverRunResult Result, ImmutableArray<Diagnostic> Errors) Run(params string[] sources)
    {
        var compilation = Create(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var errors = output.GetDiagnostics().AddRange(generatorDiagnostics).Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (driver.GetRunResult(), errors);
    }
}
