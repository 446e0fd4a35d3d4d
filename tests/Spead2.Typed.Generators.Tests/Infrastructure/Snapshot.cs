using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Spead2.Typed.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot assertions on DiffPlex (Verify is not available here). The expected text lives in
/// <c>Snapshots/{TestFile}.{TestMethod}[.{suffix}].verified.txt</c> next to the test source, found through
/// <see cref="CallerFilePathAttribute"/>. On a mismatch the actual text goes to <c>.received.txt</c> and the
/// test fails with a +/- line diff. Set <c>SPEAD2_ACCEPT_SNAPSHOTS=1</c> to write the actual text as the new
/// expected file instead (then review the git diff). See docs/snapshots.md.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "SPEAD2_ACCEPT_SNAPSHOTS";

    public static void Match(string actual, string? suffix = null, [CallerFilePath] string testFile = "", [CallerMemberName] string testMethod = "")
    {
        var folder = Path.Combine(SourcePaths.Directory(testFile), "Snapshots");
        var stem = Path.GetFileNameWithoutExtension(testFile) + "." + testMethod + (suffix is null ? "" : "." + suffix);
        var verifiedPath = Path.Combine(folder, stem + ".verified.txt");
        var receivedPath = Path.Combine(folder, stem + ".received.txt");
        actual = Normalize(actual);

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(verifiedPath, actual, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        var expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(receivedPath, actual, new UTF8Encoding(false));
        var message = expected is null
            ? $"No snapshot {verifiedPath}.\nWrote {receivedPath}; review it and rename it to .verified.txt, or run with {AcceptVariable}=1.\n\n{actual}"
            : $"Snapshot mismatch for {verifiedPath} (- expected, + actual).\nWrote {receivedPath}; accept with {AcceptVariable}=1 if the change is intended.\n\n{Diff(expected, actual)}";
        Assert.Fail(message);
    }

    /// <summary>Line endings vary with git settings; the comparison must not.</summary>
    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    /// <summary>A unified-style diff: changed lines with 2 lines of context, "..." between distant hunks.</summary>
    internal static string Diff(string expected, string actual)
    {
        var model = InlineDiffBuilder.Diff(expected, actual, ignoreWhiteSpace: false);
        var lines = model.Lines;
        var show = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type is ChangeType.Inserted or ChangeType.Deleted)
            {
                for (var j = Math.Max(0, i - 2); j <= Math.Min(lines.Count - 1, i + 2); j++)
                {
                    show[j] = true;
                }
            }
        }

        var sb = new StringBuilder();
        var skipped = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!show[i])
            {
                skipped = true;
                continue;
            }

            if (skipped && sb.Length > 0)
            {
                sb.AppendLine("...");
            }

            skipped = false;
            var prefix = lines[i].Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            };
            sb.Append(prefix).Append(lines[i].Position is { } p ? p.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(4) + " " : "     ").AppendLine(lines[i].Text);
        }

        return sb.ToString();
    }
}
