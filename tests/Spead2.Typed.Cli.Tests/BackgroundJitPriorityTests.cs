namespace Spead2.Cli.Tests;

/// <summary>The receive tool lowers the runtime's compilation thread, and only that thread, to nice 19 (Linux).</summary>
public class BackgroundJitPriorityTests
{
    [Fact]
    public void ThreadsWithTheNameAreLoweredAndOthersAreNot()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(0, BackgroundJitPriority.Lower("anything"));
            return;
        }
        using var release = new ManualResetEventSlim();
        var lowered = StartParked("spead2-tst-low", release);
        var other = StartParked("spead2-tst-keep", release);
        try
        {
            int before = NiceOf("spead2-tst-keep");
            Assert.Equal(1, BackgroundJitPriority.Lower("spead2-tst-low"));
            Assert.Equal(19, NiceOf("spead2-tst-low"));
            Assert.Equal(before, NiceOf("spead2-tst-keep"));
        }
        finally
        {
            release.Set();
            lowered.Join();
            other.Join();
        }
    }

    [Fact]
    public void KeepLowAppliesAtOnceToTheCompilationThreadName()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(BackgroundJitPriority.KeepLow());
            return;
        }
        // A stand-in with the runtime thread's name: the real one comes and goes with the runtime's work.
        using var release = new ManualResetEventSlim();
        var standIn = StartParked(BackgroundJitPriority.JitThreadName, release);
        try
        {
            using (BackgroundJitPriority.KeepLow())
            {
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (NiceOf(BackgroundJitPriority.JitThreadName) != 19 && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(10);
                }
            }
            Assert.Equal(19, NiceOf(BackgroundJitPriority.JitThreadName));
        }
        finally
        {
            release.Set();
            standIn.Join();
        }
    }

    private static Thread StartParked(string name, ManualResetEventSlim release)
    {
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            started.Set();
            release.Wait();
        })
        { Name = name, IsBackground = true };
        thread.Start();
        started.Wait();
        return thread;
    }

    // The nice value (field 19 of /proc/self/task/TID/stat) of this process's one thread named exactly name. The
    // runtime's own thread of that name, if it exists too, has the same name: the largest value is taken, which is
    // the stand-in's once lowered, since a lowered runtime thread would also read 19.
    private static int NiceOf(string name)
    {
        int? nice = null;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string comm;
            string stat;
            try
            {
                comm = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            if (comm != name)
            {
                continue;
            }
            // Fields after the parenthesised name: state is field 3, so field 19 is the 17th.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int value = int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
            nice = nice is null ? value : Math.Max(nice.Value, value);
        }
        return nice ?? throw new InvalidOperationException($"No thread named {name}.");
    }
}
