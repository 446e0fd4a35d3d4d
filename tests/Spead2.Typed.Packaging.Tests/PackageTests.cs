using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Spead2.Packaging.Tests;

/// <summary>
/// Packs Spead2.Typed, then builds and runs a brand-new console project that references the package from a local
/// folder, the way a user installs it: the generator must run from the package and the analyzers must report.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackageTests(ITestOutputHelper output) : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly string _work = Directory.CreateTempSubdirectory("spead2-typed-pack-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Spead2.Typed.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Spead2.Typed.sln not found above the test directory.");
    }

    private (int ExitCode, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // The consumer must not see this repository's MSBuild settings.
        psi.Environment.Remove("MSBuildExtensionsPath");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 4 minutes.");
        }
        string text = stdout.Result + stderr.Result;
        output.WriteLine($"$ dotnet {string.Join(' ', args)}  (exit {process.ExitCode})");
        output.WriteLine(text);
        return (process.ExitCode, text);
    }

    private string Pack()
    {
        string feed = Path.Combine(_work, "feed");
        // A version of its own each run, so the machine's package cache cannot hand back an older build.
        string version = "0.0.0-ci." + DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
        var (code, text) = Dotnet(RepoRoot(), "pack", "src/Spead2.Typed/Spead2.Typed.csproj", "-c", Configuration, "--no-build",
            "-o", feed, $"-p:PackageVersion={version}");
        Assert.True(code == 0, text);
        Assert.True(File.Exists(Path.Combine(feed, $"Spead2.Typed.{version}.nupkg")), text);
        return version;
    }

    private string WriteConsumer(string version, string program)
    {
        string app = Path.Combine(_work, "app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local-spead2-typed" value="{Path.Combine(_work, "feed")}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Spead2.Typed" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        return app;
    }

    [Fact]
    public void PackageBringsRuntimeGeneratorAndAnalyzers()
    {
        string version = Pack();
        string app = WriteConsumer(version, """
            using Spead2;
            using Spead2.Send;
            using Spead2.Typed;

            var stream = new BytesStream();
            var generator = new HeapWriter<Reading>();
            stream.SendHeap(generator.GetHeap(new Reading(42, new float[] { 1, 2, 3, 4 })));
            Console.WriteLine($"descriptors={Reading.Descriptors.Count} bytes={stream.GetValue().Length}");

            public partial record Reading(
                [SpeadItem(0x1000, Description = "Counter")] uint Count,
                [SpeadItem(0x1001, Shape = new[] { 4 })] float[] Values);
            """);
        var (code, text) = Dotnet(app, "run", "-c", "Release");
        Assert.True(code == 0, text);
        Assert.Contains("descriptors=2 bytes=", text);

        // The analyzers come with the package: a record that is not partial is a compile error.
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Spead2.Typed;
            public record NotPartial([SpeadItem(0x1000)] uint Count);
            """);
        (code, text) = Dotnet(app, "build", "-c", "Release");
        Assert.NotEqual(0, code);
        Assert.Contains("SPEAD0001", text);
    }

    /// <summary>
    /// The .nupkg carries the package's own README (src/Spead2.Typed/PackageReadme.md) as README.md, and its
    /// nuspec names it, so nuget.org and the IDE's package manager show it; not the repository README.
    /// </summary>
    [Fact]
    public void PackageCarriesItsOwnReadme()
    {
        string version = Pack();
        string nupkg = Path.Combine(_work, "feed", $"Spead2.Typed.{version}.nupkg");
        using var zip = ZipFile.OpenRead(nupkg);

        var nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        XDocument nuspec;
        using (var stream = nuspecEntry.Open())
            nuspec = XDocument.Load(stream);
        var readmeName = nuspec.Descendants().Single(e => e.Name.LocalName == "readme").Value;
        Assert.Equal("README.md", readmeName);

        var readmeEntry = zip.GetEntry(readmeName);
        Assert.True(readmeEntry is not null, $"{readmeName} is not in the package: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        string packed;
        using (var reader = new StreamReader(readmeEntry.Open()))
            packed = reader.ReadToEnd();

        string source = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Spead2.Typed", "PackageReadme.md"));
        Assert.Equal(source.ReplaceLineEndings("\n"), packed.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("On a fresh machine", packed, StringComparison.Ordinal);
        Assert.Contains("dotnet add package Spead2.Typed", packed, StringComparison.Ordinal);
    }
}
