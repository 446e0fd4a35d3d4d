using System.Reflection;
using Microsoft.CodeAnalysis;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>Every rule in the catalogue has a docs page, an index entry and a release-tracking line.</summary>
public class DocumentationTests
{
    private static string RepoRoot() => SourcePaths.RepositoryRoot();

    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        var catalogue = typeof(Spead2.Typed.Analyzers.PartialTypeAnalyzer).Assembly.GetType("Spead2.Typed.Analyzers.DiagnosticDescriptors")!;
        foreach (var field in catalogue.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        {
            if (field.GetValue(null) is DiagnosticDescriptor descriptor)
            {
                data.Add(descriptor.Id);
            }
        }

        return data;
    }

    [Fact]
    public void CatalogueHasEighteenRules() => Assert.Equal(18, RuleIds().Count);

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void RuleIsDocumentedAndTracked(string id)
    {
        var root = RepoRoot();
        Assert.True(File.Exists(Path.Combine(root, "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
        Assert.Contains($"[{id}]({id}.md)", File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "README.md")), StringComparison.Ordinal);
        Assert.Contains(id + " |", File.ReadAllText(Path.Combine(root, "analyzers", "Spead2.Typed.Analyzers", "AnalyzerReleases.Unshipped.md")), StringComparison.Ordinal);
    }
}
