namespace Spead2.Typed.Generators.Tests.Infrastructure;

/// <summary>Finds source files from <c>[CallerFilePath]</c> values, also in builds with mapped paths.</summary>
internal static class SourcePaths
{
    /// <summary>
    /// The folder of a caller's source file. A build with mapped paths (ContinuousIntegrationBuild, PathMap) gives
    /// caller paths like <c>/_/tests/...</c> that do not exist here; they are resolved against the checkout, found
    /// by walking up from the test binaries to the solution file.
    /// </summary>
    public static string Directory(string callerFile)
    {
        var directory = Path.GetDirectoryName(callerFile)!;
        if (System.IO.Directory.Exists(directory))
        {
            return directory;
        }

        var relative = directory.Replace('\\', '/').TrimStart('/');
        relative = relative.StartsWith("_/", StringComparison.Ordinal) ? relative[2..] : relative;
        return Path.Combine(RepositoryRoot(), relative);
    }

    /// <summary>The checkout: the nearest folder above the test binaries that holds Spead2.Typed.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var root = new DirectoryInfo(AppContext.BaseDirectory); root is not null; root = root.Parent)
        {
            if (File.Exists(Path.Combine(root.FullName, "Spead2.Typed.sln")))
            {
                return root.FullName;
            }
        }

        throw new InvalidOperationException("Spead2.Typed.sln not found above " + AppContext.BaseDirectory);
    }
}
