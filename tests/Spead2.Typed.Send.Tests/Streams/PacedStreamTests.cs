using Microsoft.Extensions.Time.Testing;
using Spead2.Send.Tests.Support;

namespace Spead2.Send.Tests.Streams;

/// <summary>The pacer inside a real stream, with the writer thread sleeping on a fake clock.</summary>
public class PacedStreamTests
{
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
        await using var stream = new BytesStream(config, null, time);
        var heap = SpeadWire.HeapOf(9000, 1);
        long total = PacketGenerator.MeasureHeap(heap, 1000);
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
        await using var stream = new BytesStream(new StreamConfig { Rate = 1, BurstSize = 100 }, null, time);
        // Without the override this would take days of fake time; with rate 0 it needs none.
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await stream.SendHeapAsync(SpeadWire.HeapOf(20_000, i), rate: 0).AsTask().WaitAsync(Patience) > 20_000);
        }
    }

    [Fact]
    public async Task PerHeapRateOverridesTheStreamRate()
    {
        // Stream unlimited, heap limited to 1000 B/s: the heap's second burst waits for the fake clock.
        var time = new FakeTimeProvider();
        await using var stream = new BytesStream(new StreamConfig { BurstSize = 1000, MaxPacketSize = 1000 }, null, time);
        var heap = SpeadWire.HeapOf(3000, 1);
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
        var stream = new BytesStream(new StreamConfig { Rate = 1000, BurstSize = 1000, MaxPacketSize = 1000 }, null, time);
        ValueTask<long> send = stream.SendHeapAsync(SpeadWire.HeapOf(2500, 1));
        Task dispose = stream.DisposeAsync().AsTask();
        WaitUntil(() => stream.Length == 1000, "the first burst is out");
        Assert.False(dispose.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        await dispose.WaitAsync(Patience);
        Assert.True(send.IsCompletedSuccessfully);
        HeapAssembler.SplitStream(stream.GetValue()); // whole packets only
    }
}
