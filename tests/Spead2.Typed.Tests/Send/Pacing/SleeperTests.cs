using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Spead2.Send;
using Spead2.Send.Pacing;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Pacing;

public class SleeperTests
{
    [Fact]
    public void SystemProviderGetsThePreciseSleeper()
    {
        using Sleeper s = Sleeper.Create(TimeProvider.System);
        Assert.IsType<SystemClockSleeper>(s);
        using Sleeper f = Sleeper.Create(new FakeTimeProvider());
        Assert.IsType<TimerSleeper>(f);
    }

    [Fact]
    public void SystemClockSleeperNeverWakesEarly()
    {
        using var s = new SystemClockSleeper();
        s.AttachToCurrentThread();
        foreach (long micros in new long[] { 0, 30, 150, 2000 })
        {
            long due = Stopwatch.GetTimestamp() + micros * Stopwatch.Frequency / 1_000_000;
            Assert.True(s.SleepUntil(due));
            Assert.True(Stopwatch.GetTimestamp() >= due);
        }
    }

    [Fact]
    public async Task TimerSleeperWakesExactlyWhenTheFakeClockGetsThere()
    {
        var time = new FakeTimeProvider();
        using var s = new TimerSleeper(time);
        long due = time.GetTimestamp() + 12_345;
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            s.SleepUntil(due);
            done.SetResult(time.GetTimestamp());
        });
        thread.Start();
        // Wait (in real time) until the sleeper has armed its timer, then step the fake clock.
        time.Advance(TimeSpan.FromTicks(12_344));
        await Task.Delay(50);
        Assert.False(done.Task.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(due, await done.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        thread.Join();
    }

    [Fact]
    public async Task TimerSleeperReturnsAtOnceForAPastDeadline()
    {
        // The fake clock never moves here, so a sleeper that waited would wait forever: run it where a bounded
        // wait turns that into a failure instead of a hung test run.
        var time = new FakeTimeProvider();
        using var s = new TimerSleeper(time);
        long now = time.GetTimestamp();
        bool[] reached = await Task.Factory.StartNew(() => new[] { s.SleepUntil(now), s.SleepUntil(now - 100) }, TaskCreationOptions.LongRunning)
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([true, true], reached);     // true: the deadline was reached, not a wake
        Assert.Equal(now, time.GetTimestamp());
    }

    [Fact]
    public async Task WakeEndsALongSleepOnceAndAWakeBeforeASleepIsNotLost()
    {
        var fake = new FakeTimeProvider();
        using Sleeper timer = new TimerSleeper(fake);
        using Sleeper system = new SystemClockSleeper();
        foreach ((Sleeper sleeper, long due) in new[]
        {
            (timer, fake.GetTimestamp() + TimeSpan.TicksPerDay),
            (system, Stopwatch.GetTimestamp() + Stopwatch.Frequency * 3600),
            (timer, long.MaxValue),
            (system, long.MaxValue),
        })
        {
            Task<bool> sleeping = Task.Factory.StartNew(() => sleeper.SleepUntil(due), TaskCreationOptions.LongRunning);
            await Task.Delay(50);
            Assert.False(sleeping.IsCompleted);
            sleeper.Wake();
            Assert.False(await sleeping.WaitAsync(TimeSpan.FromSeconds(10)));

            // The wake was consumed: the next sleep lasts until the next wake, which may come first.
            sleeping = Task.Factory.StartNew(() => sleeper.SleepUntil(due), TaskCreationOptions.LongRunning);
            await Task.Delay(50);
            Assert.False(sleeping.IsCompleted);
            sleeper.Wake();
            Assert.False(await sleeping.WaitAsync(TimeSpan.FromSeconds(10)));
            sleeper.Wake();
            Assert.False(sleeper.SleepUntil(due)); // returns at once
        }
    }
}
