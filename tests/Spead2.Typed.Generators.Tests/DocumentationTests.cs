using System.Reflection;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>
/// Every rule in the catalogue has a docs page, an index entry, a release-tracking line, and a help link an IDE can
/// open from a user's project.
/// </summary>
public class DocumentationTests
{
    private static string RepoRoot() => SourcePaths.RepositoryRoot();

    private static List<DiagnosticDescriptor> Descriptors()
    {
        var list = new List<DiagnosticDescriptor>();
        var catalogue = typeof(Spead2.Typed.Analyzers.PartialTypeAnalyzer).Assembly.GetType("Spead2.Typed.Analyzers.DiagnosticDescriptors")!;
        foreach (var field in catalogue.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        {
            if (field.GetValue(null) is DiagnosticDescriptor descriptor)
            {
                list.Add(descriptor);
            }
        }

        return list;
    }

    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in Descriptors())
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    /// <summary>The RepositoryUrl the package declares, which is also what NuGet shows as the project's source.</summary>
    private static string RepositoryUrl()
    {
        var project = XDocument.Load(Path.Combine(RepoRoot(), "src", "Spead2.Typed", "Spead2.Typed.csproj"));
        var url = project.Descendants("RepositoryUrl").Single().Value.Trim();
        Assert.StartsWith("https://", url, StringComparison.Ordinal);
        return url.TrimEnd('/');
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
        // The docs site's sidebar for the rule pages (docs/diagnostics/toc.yml, read by docfx).
        Assert.Contains($"href: {id}.md", File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "toc.yml")), StringComparison.Ordinal);
    }

    /// <summary>
    /// The IDE opens the help link from the user's project, so it must be an absolute https URL into the package's
    /// repository (its main branch), naming a page that exists in this checkout.
    /// </summary>
    [Theory]
    [MemberData(nameof(RuleIds))]
    public void HelpLinkIsAbsoluteAndNamesAnExistingPage(string id)
    {
        var descriptor = Descriptors().Single(d => d.Id == id);
        var link = descriptor.HelpLinkUri;
        Assert.True(Uri.TryCreate(link, UriKind.Absolute, out var uri), $"{id}: help link '{link}' is not an absolute URI");
        Assert.Equal(Uri.UriSchemeHttps, uri!.Scheme);

        var prefix = RepositoryUrl() + "/blob/main/";
        Assert.StartsWith(prefix, link, StringComparison.Ordinal);
        var relative = link[prefix.Length..];
        Assert.Equal($"docs/diagnostics/{id}.md", relative);
        Assert.True(File.Exists(Path.Combine(RepoRoot(), relative)), $"{id}: help link names {relative}, which does not exist");
    }
}
