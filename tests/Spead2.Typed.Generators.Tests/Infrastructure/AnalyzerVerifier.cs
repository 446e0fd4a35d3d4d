using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Spead2.Typed.Generators.Tests.Infrastructure;

/// <summary>
/// Runs analyzers with <see cref="CompilationWithAnalyzers"/> on source written with <c>{|SPEAD0001:text|}</c>
/// markup, and checks that exactly the marked diagnostics (ID and span) are reported. The Roslyn SDK testing
/// packages are not used: their dependencies do not restore cleanly with warnings as errors here.
/// </summary>
internal static class AnalyzerVerifier
{
    public static async Task VerifyAsync(string markup, params DiagnosticAnalyzer[] analyzers)
    {
        var (source, expected) = ParseMarkup(markup);
        var actual = await GetDiagnosticsAsync(source, analyzers);
        var actualSet = actual.Select(d => (d.Id, d.Location.SourceSpan)).OrderBy(x => x.SourceSpan.Start).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();
        var expectedSet = expected.OrderBy(x => x.Span.Start).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();
        var describe = (string id, TextSpan span) => $"{id} at {span} '{source.Substring(span.Start, span.Length)}'";
        Assert.True(
            actualSet.Count == expectedSet.Count && actualSet.Zip(expectedSet).All(p => p.First.Id == p.Second.Id && p.First.SourceSpan == p.Second.Span),
            "Expected:\n  " + string.Join("\n  ", expectedSet.Select(e => describe(e.Id, e.Span)))
            + "\nActual:\n  " + string.Join("\n  ", actual.Select(d => describe(d.Id, d.Location.SourceSpan) + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))));
    }

    public static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(string source, params DiagnosticAnalyzer[] analyzers)
    {
        var compilation = TestCompilation.Create(source);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The test source does not compile:\n" + string.Join("\n", errors));
        var withAnalyzers = compilation.WithAnalyzers([.. analyzers]);
        return await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>Strips <c>{|ID:text|}</c> markers and records the span of each marked text.</summary>
    public static (string Source, List<(string Id, TextSpan Span)> Expected) ParseMarkup(string markup)
    {
        var sb = new StringBuilder(markup.Length);
        var expected = new List<(string, TextSpan)>();
        var i = 0;
        while (i < markup.Length)
        {
            if (markup[i] == '{' && i + 1 < markup.Length && markup[i + 1] == '|')
            {
                var colon = markup.IndexOf(':', i);
                var end = markup.IndexOf("|}", colon, StringComparison.Ordinal);
                var id = markup.Substring(i + 2, colon - i - 2);
                var text = markup.Substring(colon + 1, end - colon - 1);
                expected.Add((id, new TextSpan(sb.Length, text.Length)));
                sb.Append(text);
                i = end + 2;
            }
            else
            {
                sb.Append(markup[i++]);
            }
        }

        return (sb.ToString(), expected);
    }
}
