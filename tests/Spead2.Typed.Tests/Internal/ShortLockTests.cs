using System.Text.RegularExpressions;
using Spead2.Internal;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Tests.Internal;

/// <summary><see cref="ShortLock"/>: mutual exclusion under contention, and the scope releases it.</summary>
public class ShortLockTests
{
    [Fact]
    public void ThreadsThatContendForItNeverOverlapAndLoseNoUpdate()
    {
        var gate = new ShortLock();
        long counter = 0;
        int inside = 0;
        int overlaps = 0;
        const int PerThread = 200_000;
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    using (gate.EnterScope())
                    {
                        if (Interlocked.Increment(ref inside) != 1)
                        {
                            Interlocked.Increment(ref overlaps);
                        }
                        // A read-modify-write that is not atomic by itself: only the lock keeps updates from being lost.
                        counter = counter + 1;
                        Interlocked.Decrement(ref inside);
                    }
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        Assert.Equal(0, overlaps);
        Assert.Equal(threads.Length * (long)PerThread, counter);
        Assert.False(gate.IsHeld);
    }

    [Fact]
    public async Task LeavingTheScopeReleasesItEvenWhenTheBodyThrows()
    {
        var gate = new ShortLock();
        void ThrowInside()
        {
            using (gate.EnterScope())
            {
                Assert.True(gate.IsHeld);
                throw new InvalidOperationException("inside");
            }
        }
        Assert.Throws<InvalidOperationException>(ThrowInside);
        Assert.False(gate.IsHeld);
        // Another thread can take it at once.
        bool held = await Task.Run(() =>
        {
            using (gate.EnterScope())
            {
                return gate.IsHeld;
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(held);
    }
    [Fact]
    public void NoLockStatementTakesAShortLock()
    {
        // `lock (x)` on a ShortLock compiles, to a monitor on the object, which excludes nothing that EnterScope
        // takes: every use must be `using (x.EnterScope())`.
        string src = Path.Combine(SourcePaths.RepositoryRoot(), "src", "Spead2.Typed");
        var names = new HashSet<string>();
        var files = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories);
        foreach (string file in files)
        {
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"\bShortLock\s+(\w+)\s*="))
            {
                names.Add(m.Groups[1].Value);
            }
        }
        Assert.Contains("TailLock", names);
        Assert.Contains("_lock", names);
        var offenders = new List<string>();
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            foreach (string name in names)
            {
                if (Regex.IsMatch(text, @"\block\s*\(\s*(\w+\.)?" + Regex.Escape(name) + @"\s*\)") && text.Contains("ShortLock", StringComparison.Ordinal))
                {
                    offenders.Add($"{Path.GetFileName(file)}: lock ({name})");
                }
            }
        }
        Assert.Empty(offenders);
    }
}
