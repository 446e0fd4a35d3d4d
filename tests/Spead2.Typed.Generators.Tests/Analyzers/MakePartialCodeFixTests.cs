using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Spead2.Typed.Analyzers;
using Spead2.Typed.CodeFixes;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>The SPEAD0001 fix adds <c>partial</c> where it is missing, and the diagnostic then disappears.</summary>
public class MakePartialCodeFixTests
{
    [Fact]
    public Task AddsPartialToTheRecord() => VerifyFixAsync(
        """
        using Spead2.Typed;

        namespace N;

        /// <summary>Doc.</summary>
        public sealed record Dump([SpeadItem(0x1000)] int A);
        """,
        """
        using Spead2.Typed;

        namespace N;

        /// <summary>Doc.</summary>
        public sealed partial record Dump([SpeadItem(0x1000)] int A);
        """);

    [Fact]
    public Task AddsPartialToContainingTypesAndTypesWithoutModifiers() => VerifyFixAsync(
        """
        using Spead2.Typed;

        class Outer
        {
            partial class Middle
            {
                record struct Dump([SpeadItem(0x1000)] int A);
            }
        }
        """,
        """
        using Spead2.Typed;

        partial class Outer
        {
            partial class Middle
            {
                partial record struct Dump([SpeadItem(0x1000)] int A);
            }
        }
        """);

    private static async Task VerifyFixAsync(string before, string after)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(), VersionStamp.Create(), "Test", "Test", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: TestCompilation.ParseOptions,
            metadataReferences: TestCompilation.References));
        var document = workspace.AddDocument(project.Id, "Test.cs", Microsoft.CodeAnalysis.Text.SourceText.From(before));

        var diagnostics = await GetDiagnosticsAsync(document);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("SPEAD0001", diagnostic.Id);

        var actions = new List<CodeAction>();
        var fix = new MakePartialCodeFix();
        Assert.Contains("SPEAD0001", fix.FixableDiagnosticIds);
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var action = Assert.Single(actions);
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;

        Assert.Equal(after.Replace("\r\n", "\n"), (await changed.GetTextAsync()).ToString().Replace("\r\n", "\n"));
        Assert.Empty(await GetDiagnosticsAsync(changed));
    }

    private static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(Document document)
    {
        var compilation = (await document.Project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return await compilation.WithAnalyzers([new PartialTypeAnalyzer()]).GetAnalyzerDiagnosticsAsync();
    }
}
