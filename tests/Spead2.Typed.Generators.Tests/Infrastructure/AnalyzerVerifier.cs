using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Spead2.Typed.Generators.Tests.Infrastructure;

/// <summary>
/// Analyzer checks on the Roslyn SDK testing library: the source is written with <c>{|SPEAD0001:text|}</c> markup and
/// exactly the marked diagnostics (ID and span) must be reported, with no compile error in the source.
/// </summary>
internal static class AnalyzerVerifier
{
    /// <summary>Runs <paramref name="analyzer"/> over <paramref name="markup"/>.</summary>
    public static Task VerifyAsync(string markup, DiagnosticAnalyzer analyzer) => new Test(analyzer) { TestCode = markup }.RunAsync();

    /// <summary>
    /// Like <see cref="VerifyAsync"/>, with the source generator run first: reads of a record need its generated
    /// ISpeadHeap implementation to compile. The generated files themselves are covered by the snapshot tests.
    /// </summary>
    public static Task VerifyGeneratedAsync(string markup, DiagnosticAnalyzer analyzer)
    {
        var test = new Test(analyzer, withGenerator: true) { TestCode = markup };
        test.TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        return test.RunAsync();
    }

    /// <summary>The diagnostics <paramref name="analyzer"/> reports on <paramref name="source"/>, for message checks.</summary>
    public static async Task<IReadOnlyList<Diagnostic>> GetDiagnosticsAsync(string source, DiagnosticAnalyzer analyzer)
    {
        var compilation = TestCompilation.Create(source);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        return await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>Sets a test up to compile offline: reference assemblies from the local package, nullable on as in the repository.</summary>
    internal static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        // No reference-pack download at test time: the framework gets an empty reference set and the .NET 10
        // reference assemblies plus the runtime library come from TestCompilation (a restored package).
        test.ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        test.TestState.AdditionalReferences.AddRange(TestCompilation.References);
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var project = solution.GetProject(projectId)!;
            return solution
                .WithProjectCompilationOptions(projectId, ((CSharpCompilationOptions)project.CompilationOptions!).WithNullableContextOptions(NullableContextOptions.Enable))
                .WithProjectParseOptions(projectId, TestCompilation.ParseOptions);
        });
    }

    private sealed class Test : CSharpAnalyzerTest<EmptyDiagnosticAnalyzer, DefaultVerifier>
    {
        private readonly DiagnosticAnalyzer _analyzer;
        private readonly bool _withGenerator;

        public Test(DiagnosticAnalyzer analyzer, bool withGenerator = false)
        {
            _analyzer = analyzer;
            _withGenerator = withGenerator;
            Configure(this);
        }

        protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => [_analyzer];

        protected override IEnumerable<Type> GetSourceGenerators() => _withGenerator ? [typeof(SpeadSourceGenerator)] : [];
    }
}
