using Microsoft.Extensions.Time.Testing;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.TestSupport;

namespace Spead2.Tests.Send;

/// <summary>The pacer inside a real stream, with the writer thread sleeping on a fake clock.</summary>
public class PacedStreamTests
{
    /// <summary>Total bytes of the heap's packets, counted by packetizing it into a scratch buffer.</summary>
    private static long PacketBytes(Heap heap, int maxPacketSize)
    {
        var packetizer = new Packetizer(heap, 0, maxPacketSize);
        var buffer = new byte[maxPacketSize];
        long total = 0;
        while (packetizer.HasNextPacket)
            total += packetizer.NextPacket(buffer);
        return total;
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // Waits (in real time, bounded) until the writer has produced a condition; a safety net, not a timing check.
    private static void WaitUntil(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, Patience))
        {
            throw new TimeoutException($"Timed out waiting until {what}.");
        }
    }

    [Fact]
    public async Task BurstsAreReleasedExactlyWhenTheFakeClockAllows()
    {
        // 1000 B/s, 2000-byte bursts, 1000-byte packets (the heap is one 10-packet heap).
        var time = new FakeTimeProvider();
        var config = new StreamConfig { Rate = 1000, BurstSize = 2000, MaxPacketSize = 1000 };
        var stream = new BytesStream(config, time);
        await using var clocked = new Clocked(stream, time);
        var heap = TestHeaps.HeapOf(9000, 1);
        long total = PacketBytes(heap, 1000);
        ValueTask<long> send = stream.SendHeapAsync(heap);

        // First burst at once: packets until 2000 bytes have gone (two packets of 1000, 1000).
        WaitUntil(() => stream.Length == 2000, "the first burst is out");
        Assert.False(send.IsCompleted);

        // Burst k may start at k * 2 s. One tick early releases nothing; reaching it releases exactly one burst.
        for (int k = 1; stream.Length < total; k++)
        {
            long before = stream.Length;
            time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
            Thread.Sleep(20); // give a wrongly early writer the chance to show itself
            Assert.Equal(before, stream.Length);
            time.Advance(TimeSpan.FromTicks(1));
            WaitUntil(() => stream.Length > before, $"burst {k} is out");
            WaitUntil(() => stream.Length == Math.Min(total, before + 2000) && (stream.Length == total || !send.IsCompleted), $"burst {k} is complete");
        }
        Assert.Equal(total, await send.AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task AHeapWithRateZeroIsNotLimitedOnASlowStream()
    {
        var time = new FakeTimeProvider();
        var stream = new BytesStream(new StreamConfig { Rate = 1, BurstSize = 100 }, time);
        await using var clocked = new Clocked(stream, time);
        // Without the override this would take days of fake time; with rate 0 it needs none.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await stream.SendHeapAsync(TestHeaps.HeapOf(20_000, i), rate: 0).AsTask().WaitAsync(Patience) > 20_000);
        }
    }

    [Fact]
    public async Task PerHeapRateOverridesTheStreamRate()
    {
        // Stream unlimited, heap limited to 1000 B/s: the heap's second burst waits for the fake clock.
        var time = new FakeTimeProvider();
        var stream = new BytesStream(new StreamConfig { BurstSize = 1000, MaxPacketSize = 1000 }, time);
        await using var clocked = new Clocked(stream, time);
        var heap = TestHeaps.HeapOf(3000, 1);
        ValueTask<long> send = stream.SendHeapAsync(heap, rate: 1000);
        WaitUntil(() => stream.Length == 1000, "the first burst is out");
        Assert.False(send.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        WaitUntil(() => stream.Length == 2000, "the second burst is out");
        time.Advance(TimeSpan.FromSeconds(1));
        WaitUntil(() => stream.Length == 3000, "the third burst is out");
        time.Advance(TimeSpan.FromSeconds(1));
        await send.AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task DisposeWaitsForARateLimitedHeapInsteadOfDroppingIt()
    {
        var time = new FakeTimeProvider();
        var stream = new BytesStream(new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000 }, time);
        ValueTask<long> send = stream.SendHeapAsync(TestHeaps.HeapOf(2500, 1));
        Task dispose = stream.DisposeAsync().AsTask();
        WaitUntil(() => stream.Length == 1000, "the first burst is out");
        Assert.False(dispose.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        await dispose.WaitAsync(Patience);
        Assert.True(send.IsCompletedSuccessfully);
        RefReceiver.SplitStream(stream.GetValue()); // whole packets only
    }

    [Fact]
    public async Task AfterIdleTheStreamDoesNotCatchUp()
    {
        // 1000 B/s in 1000-byte bursts: one burst per second. After ten idle seconds a new heap must still go out at
        // one burst per second, not at the catch-up rate (1 per 0.952 s).
        var time = new FakeTimeProvider();
        var config = new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000 };
        var stream = new BytesStream(config, time);
        await using var clocked = new Clocked(stream, time);
        await SendPaced(stream, time, TestHeaps.HeapOf(1912, 1), 2000); // two packets of exactly 1000 bytes
        time.Advance(TimeSpan.FromSeconds(10));
        // The writer ends its last burst, finds nothing to do and goes idle; only then does the idle rule apply
        // (a heap queued before that would count as continuous sending, in spead2 too).
        WaitUntil(() => stream.WriterIsIdle, "the writer is idle");

        var heap = TestHeaps.HeapOf(952 + 3 * 960, 2); // 4 packets of exactly 1000 bytes
        long start = stream.Length;
        ValueTask<long> send = stream.SendHeapAsync(heap);
        WaitUntil(() => stream.Length == start + 1000, "the first burst after idle is out");
        for (int k = 1; k < 4; k++)
        {
            // The catch-up rate would release the next burst here.
            time.Advance(TimeSpan.FromSeconds(1 / 1.05) + TimeSpan.FromTicks(1));
            Thread.Sleep(20);
            Assert.Equal(start + 1000 * k, stream.Length);
            time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromSeconds(1 / 1.05) - TimeSpan.FromTicks(1));
            WaitUntil(() => stream.Length == start + 1000 * (k + 1), $"burst {k} after idle is out");
        }
        await send.AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task HardwareRateMethodFallsBackToSoftwarePacing()
    {
        var time = new FakeTimeProvider();
        var config = new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000, RateMethod = RateMethod.Hw };
        var stream = new BytesStream(config, time);
        await using var clocked = new Clocked(stream, time);
        ValueTask<long> send = stream.SendHeapAsync(TestHeaps.HeapOf(1900, 1));
        WaitUntil(() => stream.Length == 1000, "the first burst is out");
        Thread.Sleep(20);
        Assert.Equal(1000, stream.Length);
        time.Advance(TimeSpan.FromSeconds(1));
        await send.AsTask().WaitAsync(Patience);
    }

    private static async Task SendPaced(BytesStream stream, FakeTimeProvider time, Heap heap, long expectedLength)
    {
        ValueTask<long> send = stream.SendHeapAsync(heap);
        while (!send.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Thread.Sleep(5);
        }
        await send;
        Assert.Equal(expectedLength, stream.Length);
    }

    [Fact]
    public async Task DisposeDoesNotWaitOutThePauseAfterTheLastBurst()
    {
        // The heap is one whole burst, so the writer then paces a 1 s pause on the fake clock, which never moves here.
        var time = new FakeTimeProvider();
        var stream = new BytesStream(new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000 }, time);
        await stream.SendHeapAsync(TestHeaps.HeapOf(952, 1)).AsTask().WaitAsync(Patience);
        await stream.DisposeAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(1000, stream.GetValue().Length);
    }

    /// <summary>
    /// Disposes a stream on a fake clock by advancing the clock until it has finished, so that a failed assertion
    /// with a heap still waiting for fake time cannot turn into a hung test.
    /// </summary>
    private sealed class Clocked(SendStream stream, FakeTimeProvider time) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Task dispose = stream.DisposeAsync().AsTask();
            for (int i = 0; i < 1000 && !dispose.IsCompleted; i++)
            {
                time.Advance(TimeSpan.FromHours(1));
                await Task.WhenAny(dispose, Task.Delay(5));
            }
            await dispose.WaitAsync(Patience);
        }
    }
}
