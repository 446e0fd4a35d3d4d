using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>
/// Incremental caching: every tracked step must come back Cached/Unchanged when nothing relevant changed, and a
/// change to an item attribute must regenerate. The models must not hold symbols, syntax or compilations.
/// </summary>
public class CachingTests
{
    private static readonly string[] TrackedNames = typeof(SpeadSourceGenerator).Assembly
        .GetType("Spead2.Typed.Generators.TrackingNames")!
        .GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.NonPublic)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    private const string Source = """
        using Spead2.Typed;

        namespace Telescope;

        public partial record Dump(
            [SpeadItem(0x1600, Description = "ADC sample count", Bits = 48)] ulong Timestamp,
            [SpeadItem(0x1800, Name = "vis", Shape = new[] { 4, 2 })] float[] Vis,
            [SpeadItem(0x1801)] string Source);

        public partial record struct Status([SpeadItem(0x1900)] bool Ok);

        public partial record Tagged([property: SpeadItem(0x2000)] int Code);
        """;

    [Fact]
    public void TrackingNamesAreFound() => Assert.Equal(5, TrackedNames.Length);

    [Fact]
    public void SecondRunOnClonedCompilationIsFullyCached()
    {
        var compilation = TestCompilation.Create(Source);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Equal(3, first.GeneratedSources.Length);

        driver = driver.RunGenerators(compilation.Clone());
        var second = driver.GetRunResult().Results.Single();

        AssertAllCached(second);
        AssertNoForbiddenTypes(first);
    }

    [Fact]
    public void UnrelatedFileKeepsCache()
    {
        var compilation = TestCompilation.Create(Source);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int X { get; set; } }", TestCompilation.ParseOptions));
        driver = driver.RunGenerators(edited);

        AssertAllCached(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void UnrelatedMemberOfTheRecordKeepsCache()
    {
        var compilation = TestCompilation.Create(Source);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var newTree = tree.WithChangedText(tree.GetText().Replace(
            Source.IndexOf("public partial record struct", StringComparison.Ordinal), 0,
            "public static class Helpers { public static int Twice(int x) => 2 * x; }\n"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, newTree));

        AssertAllCached(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void ChangingAnItemAttributeRegenerates()
    {
        var compilation = TestCompilation.Create(Source);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var before = driver.GetRunResult().Results.Single().GeneratedSources.Single(s => s.HintName == "Telescope.Dump.Spead.g.cs").SourceText.ToString();

        var tree = compilation.SyntaxTrees.Single();
        var newTree = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Source.Replace("Bits = 48", "Bits = 40")));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, newTree));
        var result = driver.GetRunResult().Results.Single();

        var reasons = result.TrackedSteps[TrackingNames.TypeModels].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
        // The other record did not change, so its model stays as it was.
        Assert.Contains(IncrementalStepRunReason.Unchanged, reasons);
        var after = result.GeneratedSources.Single(s => s.HintName == "Telescope.Dump.Spead.g.cs").SourceText.ToString();
        Assert.NotEqual(before, after);
        Assert.Contains("'u', 40)", after);
    }

    [Theory]
    [InlineData("string Source)", "string? Source)", "ReadString(2, true,")]
    [InlineData("public partial record struct Status([SpeadItem(0x1900)] bool Ok);", "public partial record struct Status([SpeadItem(0x1900)] bool Ok, int Local);", "its positional parameter 'Local'")]
    public void ChangingWhatReadingDependsOnRegenerates(string from, string to, string expected)
    {
        // Nullability and constructibility are not in the attribute, but the read side depends on them.
        var compilation = TestCompilation.Create(Source);
        var driver = TestCompilation.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single();
        Assert.Contains(from, Source, StringComparison.Ordinal);
        var newTree = tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Source.Replace(from, to)));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, newTree));
        var result = driver.GetRunResult().Results.Single();

        Assert.Contains(IncrementalStepRunReason.Modified, result.TrackedSteps[TrackingNames.TypeModels].SelectMany(s => s.Outputs).Select(o => o.Reason));
        Assert.Contains(result.GeneratedSources, s => s.SourceText.ToString().Contains(expected, StringComparison.Ordinal));
    }

    private static void AssertAllCached(GeneratorRunResult result)
    {
        foreach (var name in TrackedNames)
        {
            Assert.True(result.TrackedSteps.TryGetValue(name, out var steps), $"Step {name} was not tracked.");
            foreach (var step in steps)
            {
                foreach (var (_, reason) in step.Outputs)
                {
                    Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Step {name} output was {reason}.");
                }
            }
        }

        foreach (var step in result.TrackedOutputSteps.SelectMany(s => s.Value))
        {
            foreach (var (_, reason) in step.Outputs)
            {
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"Source output was {reason}.");
            }
        }
    }

    private static void AssertNoForbiddenTypes(GeneratorRunResult result)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var name in TrackedNames)
        {
            foreach (var step in result.TrackedSteps[name])
            {
                foreach (var (value, _) in step.Outputs)
                {
                    Visit(value, name, visited);
                }
            }
        }
    }

    private static void Visit(object? node, string step, HashSet<object> visited)
    {
        if (node is null || node is string || node.GetType().IsPrimitive || node.GetType().IsEnum)
        {
            return;
        }

        Assert.False(node is Compilation or ISymbol or SyntaxNode or SemanticModel or SyntaxTree,
            $"Step {step} holds a {node.GetType().Name}: models must be plain values or caching breaks.");
        if (!node.GetType().IsValueType && !visited.Add(node))
        {
            return;
        }

        if (node is IEnumerable sequence)
        {
            foreach (var element in sequence)
            {
                Visit(element, step, visited);
            }
        }

        foreach (var field in node.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            Visit(field.GetValue(node), step, visited);
        }
    }
}
