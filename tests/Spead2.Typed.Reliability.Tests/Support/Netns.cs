using System.Diagnostics;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Runs <c>ip</c> to build network namespaces for the multicast test. Everything it creates has a name with this
/// process's id in it and is removed by <see cref="Dispose"/> (deleting a namespace also deletes its veth end).
/// </summary>
internal sealed class Netns : IDisposable
{
    private static readonly Lazy<string?> Unavailable = new(Probe);
    private readonly List<string> _namespaces = [];

    /// <summary>Null when namespaces can be made here, otherwise why not.</summary>
    public static string? WhyUnavailable => Unavailable.Value;

    public IReadOnlyList<string> Namespaces => _namespaces;

    public string Add(string suffix)
    {
        string name = $"spead2rel{Environment.ProcessId}{suffix}";
        Run("ip", $"netns add {name}");
        _namespaces.Add(name);
        Run("ip", $"-n {name} link set lo up");
        return name;
    }

    public void Dispose()
    {
        foreach (string name in _namespaces)
        {
            TryRun("ip", $"netns del {name}", out _);
        }
        _namespaces.Clear();
    }

    public static string Run(string file, string arguments)
    {
        if (!TryRun(file, arguments, out string output))
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed: {output}");
        }
        return output;
    }

    public static bool TryRun(string file, string arguments, out string output)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(15_000))
            {
                process.Kill(entireProcessTree: true);
                output = "timed out";
                return false;
            }
            output = stdout.Result + stderr.Result;
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            output = e.Message;
            return false;
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }
        if (!Environment.IsPrivilegedProcess)
        {
            return "creating network namespaces needs root (CAP_SYS_ADMIN); this process is not privileged";
        }
        string name = $"spead2probe{Environment.ProcessId}";
        if (!TryRun("ip", $"netns add {name}", out string output))
        {
            return $"'ip netns add' failed here: {output.Trim()}";
        }
        TryRun("ip", $"netns del {name}", out _);
        string veth = $"s2p{Environment.ProcessId}"; // interface names are limited to 15 characters
        if (!TryRun("ip", $"link add {veth}a type veth peer name {veth}b", out output))
        {
            return $"veth pairs cannot be created here: {output.Trim()}";
        }
        TryRun("ip", $"link del {veth}a", out _);
        return null;
    }
}

/// <summary>A fact that is reported as skipped, with the reason, where network namespaces cannot be created.</summary>
internal sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (Netns.WhyUnavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
