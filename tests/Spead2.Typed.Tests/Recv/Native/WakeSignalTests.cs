using Spead2.Recv.Native;

namespace Spead2.Tests.Recv.Native;

/// <summary>The delivery thread's auto-reset signal, both ways: the eventfd (Linux) and the portable semaphore.</summary>
public class WakeSignalTests
{
    public static TheoryData<bool> Kinds => new() { false, true };

    [Fact]
    public void OnLinuxTheSignalIsAnEventFdUnlessThePortablePathIsForced()
    {
        Assert.Equal(OperatingSystem.IsLinux(), new WakeSignal(portable: false).UsesEventFd);
        Assert.False(new WakeSignal(portable: true).UsesEventFd);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ASetBeforeTheWaitMakesTheWaitReturnAtOnceAndIsConsumedByIt(bool portable)
    {
        var signal = new WakeSignal(portable);
        signal.Set();
        await Task.Factory.StartNew(signal.Wait, TaskCreationOptions.LongRunning).WaitAsync(TimeSpan.FromSeconds(10));

        // Consumed: the next wait sleeps until the next Set.
        var second = Task.Factory.StartNew(signal.Wait, TaskCreationOptions.LongRunning);
        await Task.WhenAny(second, Task.Delay(200));
        bool wokenEarly = second.IsCompleted;
        signal.Set();
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(wokenEarly, "one Set woke two waits");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EverySetWakesOneWaitInTurn(bool portable)
    {
        var signal = new WakeSignal(portable);
        const int rounds = 1000;
        int woken = 0;
        using var ready = new SemaphoreSlim(0);
        var waiter = Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                ready.Release();
                signal.Wait();
                Interlocked.Increment(ref woken);
            }
        }, TaskCreationOptions.LongRunning);
        for (int i = 0; i < rounds; i++)
        {
            Assert.True(await ready.WaitAsync(TimeSpan.FromSeconds(10)), $"the waiter stopped after {Volatile.Read(ref woken)} wake-ups");
            signal.Set();
        }
        await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(rounds, woken);
    }
}
