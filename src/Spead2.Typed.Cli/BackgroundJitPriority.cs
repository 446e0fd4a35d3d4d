using System.Globalization;
using System.Runtime.InteropServices;

namespace Spead2.Cli;

/// <summary>
/// Keeps the runtime's tiered-compilation thread at the lowest scheduling priority (nice 19) on Linux, for
/// <c>recv</c>: that thread recompiles the methods that the first heaps make hot, and while it runs it takes a
/// share of a core from the receive thread. At 30 Gb/s a 4 MiB socket buffer lasts about a millisecond, so the
/// first fifth of a second of traffic lost heaps that a C++ receiver, which has nothing to compile, keeps.
/// At nice 19 the compilation still finishes, in the time the receive thread leaves idle.
/// </summary>
/// <remarks>
/// The runtime ends that thread when it has nothing to compile for a while and starts a new one when it has, so the
/// priority is applied again every <see cref="Interval"/>. Only threads of this process are touched, and lowering a
/// priority needs no privilege. Elsewhere than Linux this does nothing. An application that embeds the library can
/// do the same, or not: it is the tool's choice, not the library's.
/// </remarks>
internal static partial class BackgroundJitPriority
{
    /// <summary>The runtime's name for the thread, as Linux keeps it (15 characters at most).</summary>
    public const string JitThreadName = ".NET Tiered Com";

    /// <summary>How often the priority is applied again.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int PrioProcess = 0;
    private const int Lowest = 19;

    /// <summary>Lowers the compilation thread now and every <see cref="Interval"/> until disposed; null where this does nothing.</summary>
    public static ITimer? KeepLow(TimeProvider? time = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        return (time ?? TimeProvider.System).CreateTimer(static _ => Lower(JitThreadName), null, TimeSpan.Zero, Interval);
    }

    /// <summary>Sets nice 19 on every thread of this process whose name starts with <paramref name="namePrefix"/>.</summary>
    /// <returns>How many threads were lowered (0 elsewhere than Linux, or when none is running).</returns>
    public static int Lower(string namePrefix)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        int lowered = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string name;
                try
                {
                    name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                }
                catch (IOException)
                {
                    continue;   // the thread ended meanwhile
                }
                if (name.StartsWith(namePrefix, StringComparison.Ordinal)
                    && int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid)
                    && SetPriority(PrioProcess, tid, Lowest) == 0)
                {
                    lowered++;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (a restricted container): the receiver works as before, only without this help.
        }
        return lowered;
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
