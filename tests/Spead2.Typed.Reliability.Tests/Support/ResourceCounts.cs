using System.Diagnostics;

namespace Spead2.Reliability.Tests;

/// <summary>A snapshot of what a leak would make grow: threads, file descriptors, managed memory, pinned objects.</summary>
internal readonly record struct ResourceCounts(int Threads, int OpenFds, long ManagedBytes, long WorkingSet, long PinnedObjects)
{
    /// <summary>Takes the snapshot after full blocking collections, so that only live objects are counted.</summary>
    public static ResourceCounts Take()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        long managed = GC.GetTotalMemory(forceFullCollection: true);
        long pinned = GC.GetGCMemoryInfo(GCKind.Any).PinnedObjectsCount;
        using var process = Process.GetCurrentProcess();
        return new ResourceCounts(process.Threads.Count, CountFds(), managed, process.WorkingSet64, pinned);
    }

    /// <summary>Open file descriptors of this process (sockets included); -1 where /proc is missing.</summary>
    public static int CountFds() => Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : -1;

    public override string ToString() =>
        $"threads={Threads} fds={OpenFds} managed={ManagedBytes / 1024} KiB workingSet={WorkingSet / (1024 * 1024)} MiB pinned={PinnedObjects}";
}
