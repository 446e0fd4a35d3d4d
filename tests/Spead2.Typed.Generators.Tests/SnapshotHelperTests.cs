using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests;

/// <summary>The snapshot helper itself must fail on a difference, with a readable diff and a .received file.</summary>
public class SnapshotHelperTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "spead2-snapshot-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void MismatchFailsWithDiffAndWritesReceived()
    {
        if (Environment.GetEnvironmentVariable(Snapshot.AcceptVariable) == "1")
        {
            return; // accepting mode writes instead of comparing, by design
        }

        var fakeTestFile = Path.Combine(_folder, "Fake.cs");
        Directory.CreateDirectory(Path.Combine(_folder, "Snapshots"));
        File.WriteAllText(Path.Combine(_folder, "Snapshots", "Fake.Case.verified.txt"), "line 1\nline 2\nline 3\n");

        var error = Assert.ThrowsAny<Exception>(() => Snapshot.Match("line 1\nline two\nline 3\n", null, fakeTestFile, "Case"));
        Assert.Contains("- ", error.Message);
        Assert.Contains("line 2", error.Message);
        Assert.Contains("+ ", error.Message);
        Assert.Contains("line two", error.Message);
        Assert.Equal("line 1\nline two\nline 3\n", File.ReadAllText(Path.Combine(_folder, "Snapshots", "Fake.Case.received.txt")));
    }

    [Fact]
    public void MatchPassesAndRemovesStaleReceived()
    {
        if (Environment.GetEnvironmentVariable(Snapshot.AcceptVariable) == "1")
        {
            return;
        }

        var fakeTestFile = Path.Combine(_folder, "Fake.cs");
        var snapshots = Path.Combine(_folder, "Snapshots");
        Directory.CreateDirectory(snapshots);
        File.WriteAllText(Path.Combine(snapshots, "Fake.Case.verified.txt"), "same\r\n");
        File.WriteAllText(Path.Combine(snapshots, "Fake.Case.received.txt"), "old");

        Snapshot.Match("same\n", null, fakeTestFile, "Case");

        Assert.False(File.Exists(Path.Combine(snapshots, "Fake.Case.received.txt")));
    }
}
