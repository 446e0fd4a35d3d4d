using System.Diagnostics;

namespace Spead2.Reliability.Tests;

/// <summary>A snapshot of what a leak would make grow: threads, file descriptors, managed memory, pinned objects.</summary>
/// <param name="OpenFds">Every open descriptor, -1 where /proc is missing.</param>
/// <param name="OpenHandles">Sockets, pipes and anonymous inodes (epoll, eventfd, timerfd): what a stream or receiver
/// could leak. Regular files are left out: the runtime opens assembly files when it first loads them, at any time.</param>
internal readonly record struct ResourceCounts(int Threads, int OpenFds, int OpenHandles, long ManagedBytes, long WorkingSet, long PinnedObjects)
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
        SortedDictionary<int, string> fds = ListFds();
        int handles = 0;
        foreach (string target in fds.Values)
        {
            if (target.StartsWith("socket:", StringComparison.Ordinal) || target.StartsWith("pipe:", StringComparison.Ordinal)
                || target.StartsWith("anon_inode:", StringComparison.Ordinal))
            {
                handles++;
            }
        }
        return Directory.Exists("/proc/self/fd")
            ? new ResourceCounts(process.Threads.Count, fds.Count, handles, managed, process.WorkingSet64, pinned)
            : new ResourceCounts(process.Threads.Count, -1, -1, managed, process.WorkingSet64, pinned);
    }

    /// <summary>What each open descriptor refers to ("socket:[123]", "anon_inode:[eventpoll]", a path), by number.</summary>
    public static SortedDictionary<int, string> ListFds()
    {
        var result = new SortedDictionary<int, string>();
        if (!Directory.Exists("/proc/self/fd"))
        {
            return result;
        }
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                result[int.Parse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture)] = new FileInfo(entry).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed while listing (the directory's own descriptor, typically).
            }
        }
        return result;
    }

    public override string ToString() =>
        $"threads={Threads} fds={OpenFds} (sockets, pipes, anon inodes: {OpenHandles}) managed={ManagedBytes / 1024} KiB workingSet={WorkingSet / (1024 * 1024)} MiB pinned={PinnedObjects}";
}
