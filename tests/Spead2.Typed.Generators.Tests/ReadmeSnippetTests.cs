using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>
/// The C# in README.md and in the package's README is code the solution build compiles: each ```csharp block is
/// preceded by <c>&lt;!-- snippet: NAME --&gt;</c> and must equal the <c>#region snippet: NAME</c> text of
/// samples/ReadmeSnippets (several regions of one name in a file are joined with a blank line, so a block can show
/// usings, statements that live in a method there, and the types after them). Also: the package README, read on a
/// machine without this repository, links only to absolute addresses, and those into the repository exist.
/// </summary>
public partial class ReadmeSnippetTests
{
    internal const string PackageReadme = "src/Spead2.Typed/PackageReadme.md";

    private static readonly string[] MarkdownFiles = ["README.md", PackageReadme, "docs/index.md"];

    private static string Root() => SourcePaths.RepositoryRoot();

    [GeneratedRegex(@"^<!-- snippet: (?<name>[A-Za-z0-9-]+)\b")]
    private static partial Regex SnippetMarker();

    [GeneratedRegex(@"^\s*#region snippet: (?<name>[A-Za-z0-9-]+)\s*$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^\s*#endregion\b")]
    private static partial Regex RegionEnd();

    // [text](target) outside code; the target ends at whitespace or the closing parenthesis.
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    private sealed record Block(string File, int Line, string? Name, string Text);

    /// <summary>Every ```csharp block of a Markdown file, with the snippet name of the marker line above it.</summary>
    private static List<Block> CSharpBlocks(string relativePath)
    {
        var lines = File.ReadAllLines(Path.Combine(Root(), relativePath));
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int previous = i - 1;
            while (previous >= 0 && lines[previous].Trim().Length == 0)
            {
                previous--;
            }

            var marker = previous >= 0 ? SnippetMarker().Match(lines[previous]) : Match.Empty;
            int end = i + 1;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            Assert.True(end < lines.Length, $"{relativePath}:{i + 1}: the ```csharp block is never closed");
            blocks.Add(new Block(relativePath, i + 1, marker.Success ? marker.Groups["name"].Value : null,
                Normalize(lines.AsSpan(i + 1, end - i - 1).ToArray())));
            i = end;
        }

        return blocks;
    }

    /// <summary>The regions of samples/ReadmeSnippets by name, each name's parts joined by a blank line.</summary>
    private static Dictionary<string, string> Regions()
    {
        var parts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var folder = Path.Combine(Root(), "samples", "ReadmeSnippets");
        foreach (var file in Directory.GetFiles(folder, "*.cs").Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                var start = RegionStart().Match(lines[i]);
                if (!start.Success)
                {
                    continue;
                }

                int end = i + 1;
                while (end < lines.Length && !RegionEnd().IsMatch(lines[end]))
                {
                    end++;
                }

                Assert.True(end < lines.Length, $"{file}:{i + 1}: #region without #endregion");
                var name = start.Groups["name"].Value;
                if (!parts.TryGetValue(name, out var list))
                {
                    parts[name] = list = [];
                }

                list.Add(Normalize(lines.AsSpan(i + 1, end - i - 1).ToArray()));
                i = end;
            }
        }

        return parts.ToDictionary(p => p.Key, p => string.Join("\n\n", p.Value), StringComparer.Ordinal);
    }

    /// <summary>Lines without trailing blanks or the indentation they all share, without leading or trailing empty lines.</summary>
    private static string Normalize(string[] lines)
    {
        var trimmed = lines.Select(l => l.TrimEnd()).ToList();
        while (trimmed.Count > 0 && trimmed[0].Length == 0)
        {
            trimmed.RemoveAt(0);
        }

        while (trimmed.Count > 0 && trimmed[^1].Length == 0)
        {
            trimmed.RemoveAt(trimmed.Count - 1);
        }

        int indent = trimmed.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", trimmed.Select(l => l.Length == 0 ? l : l[indent..]));
    }

    /// <summary>The first differing line of two texts, both shown, so a failure says what to change where.</summary>
    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var el = i < e.Length ? e[i] : "<end>";
            var al = i < a.Length ? a[i] : "<end>";
            if (el != al)
            {
                return $"line {i + 1} of the block:\n  samples: {el}\n  readme:  {al}";
            }
        }

        return "no difference";
    }

    [Fact]
    public void EveryCSharpBlockIsASnippetThatCompiles()
    {
        var regions = Regions();
        var failures = new StringBuilder();
        int checkedBlocks = 0;
        foreach (var file in MarkdownFiles)
        {
            foreach (var block in CSharpBlocks(file))
            {
                checkedBlocks++;
                if (block.Name is null)
                {
                    failures.AppendLine($"{block.File}:{block.Line}: a ```csharp block without a '<!-- snippet: NAME -->' line above it");
                }
                else if (!regions.TryGetValue(block.Name, out var code))
                {
                    failures.AppendLine($"{block.File}:{block.Line}: no '#region snippet: {block.Name}' in samples/ReadmeSnippets");
                }
                else if (code != block.Text)
                {
                    failures.AppendLine($"{block.File}:{block.Line}: snippet '{block.Name}' differs from samples/ReadmeSnippets, {FirstDifference(code, block.Text)}");
                }
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
        // README.md has five blocks and the package README three; fewer means the parser lost some.
        Assert.True(checkedBlocks >= 8, $"only {checkedBlocks} ```csharp blocks found");
    }

    [Fact]
    public void EverySnippetRegionIsShownSomewhere()
    {
        var shown = MarkdownFiles.SelectMany(CSharpBlocks).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var unused = Regions().Keys.Where(name => !shown.Contains(name)).ToList();
        Assert.True(unused.Count == 0, "regions of samples/ReadmeSnippets no Markdown block shows: " + string.Join(", ", unused));
    }

    [Fact]
    public void MarkerWithoutMatchingBlockTextFails()
    {
        // The comparison is not vacuous: a block that differs by one character is reported, with its line.
        var code = Normalize(["    var config = new StreamConfig { Rate = 1e9 / 8 };"]);
        var readme = Normalize(["var config = new StreamConfig { Rate = 1e9 };"]);
        Assert.NotEqual(code, readme);
        Assert.Contains("line 1", FirstDifference(code, readme), StringComparison.Ordinal);
        Assert.Equal(code, Normalize(["", "        var config = new StreamConfig { Rate = 1e9 / 8 };   ", ""]));
    }

    /// <summary>
    /// The package README is read on nuget.org and in IDEs, away from this repository: every link is absolute, and
    /// those into the repository (RepositoryUrl/blob/main/... or /tree/main/...) name files or folders that exist.
    /// </summary>
    [Fact]
    public void PackageReadmeLinksAreAbsoluteAndExist()
    {
        var project = XDocument.Load(Path.Combine(Root(), "src", "Spead2.Typed", "Spead2.Typed.csproj"));
        var repository = project.Descendants("RepositoryUrl").Single().Value.Trim().TrimEnd('/');
        var text = File.ReadAllText(Path.Combine(Root(), PackageReadme));
        var failures = new StringBuilder();
        int links = 0;
        foreach (Match link in MarkdownLink().Matches(text))
        {
            links++;
            var target = link.Groups["target"].Value;
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                failures.AppendLine($"not an absolute https link: {target}");
                continue;
            }

            foreach (var kind in new[] { "/blob/main/", "/tree/main/" })
            {
                var prefix = repository + kind;
                if (target.StartsWith(prefix, StringComparison.Ordinal))
                {
                    var path = Path.Combine(Root(), target[prefix.Length..].Split('#')[0]);
                    if (!File.Exists(path) && !Directory.Exists(path))
                    {
                        failures.AppendLine($"links to {target}, but {path} does not exist");
                    }
                }
            }
        }

        Assert.True(failures.Length == 0, failures.ToString());
        Assert.True(links >= 5, $"only {links} links found in {PackageReadme}");
    }

    /// <summary>The repository README's relative links (to docs/ and samples/) name files that exist.</summary>
    [Fact]
    public void RepositoryReadmeRelativeLinksExist()
    {
        var text = File.ReadAllText(Path.Combine(Root(), "README.md"));
        var missing = MarkdownLink().Matches(text)
            .Select(m => m.Groups["target"].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith('#'))
            .Where(t => !File.Exists(Path.Combine(Root(), t.Split('#')[0])) && !Directory.Exists(Path.Combine(Root(), t.Split('#')[0])))
            .ToList();
        Assert.True(missing.Count == 0, "README.md links to missing files: " + string.Join(", ", missing));
    }
}
