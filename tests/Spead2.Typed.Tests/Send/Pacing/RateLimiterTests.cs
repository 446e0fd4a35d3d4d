using Microsoft.Extensions.Time.Testing;
using Spead2.Send;
using Spead2.Send.Pacing;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Pacing;

public class RateLimiterTests
{
    // FakeTimeProvider counts in 100 ns ticks: 10^7 per second.
    private const long Frequency = TimeSpan.TicksPerSecond;

    [Fact]
    public void FakeClockTicksAreTimeSpanTicks()
    {
        // Every expectation below is written in these units.
        Assert.Equal(Frequency, new FakeTimeProvider().TimestampFrequency);
    }

    [Theory]
    [InlineData(1e6, 10.0)]
    [InlineData(5e7, 0.2)]
    [InlineData(0.0, 0.0)]
    public void WaitPerByteIsTicksPerByte(double rate, double expected)
    {
        Assert.Equal(expected, RateLimiter.WaitPerByte(rate, Frequency), 12);
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void WaitPerByteRejectsBadRates(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RateLimiter.WaitPerByte(rate, Frequency));
    }

    [Theory]
    [InlineData(0.99)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ConstructorRejectsBadRatio(double ratio)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimiter(new FakeTimeProvider(), 65536, ratio));
        Assert.Equal("burstRateRatio", e.ParamName);
    }

    [Fact]
    public void ExactSendTimesAtAWholeNumberOfTicksPerBurst()
    {
        // 1e6 B/s = 10 ticks per byte; bursts of 4 packets of 1000 bytes = 40000 ticks each.
        var s = new PacedSender(burstSize: 4000, burstRateRatio: 1.05);
        double wpb = RateLimiter.WaitPerByte(1e6, Frequency);
        for (int packet = 0; packet < 400; packet++)
        {
            long sent = s.SendPacket(1000, wpb);
            Assert.Equal(s.Start + 40_000L * (packet / 4), sent);
        }
        Assert.Equal(99, s.Sleeps);
    }

    [Fact]
    public void BurstEndsAtFirstPacketBoundaryAtOrAfterBurstSize()
    {
        // 1500-byte packets with a 4000-byte burst: bursts are 3 packets (4500 bytes) each,
        // so each burst is 45000 ticks at 10 ticks per byte.
        var s = new PacedSender(burstSize: 4000, burstRateRatio: 1.05);
        for (int packet = 0; packet < 30; packet++)
        {
            Assert.Equal(s.Start + 45_000L * (packet / 3), s.SendPacket(1500, 10.0));
        }
    }

    [Fact]
    public void ZeroBurstSizeChecksAfterEveryPacket()
    {
        var s = new PacedSender(burstSize: 0, burstRateRatio: 1.05);
        for (int packet = 0; packet < 20; packet++)
        {
            Assert.Equal(s.Start + 1000L * packet, s.SendPacket(100, 10.0));
        }
    }

    [Fact]
    public void FractionalIntervalIsHonouredExactly()
    {
        // 65536-byte bursts at 0.2 ticks per byte: 13107.2 ticks between bursts (the 40 Gb/s
        // example of spead2's docs, scaled to 100 ns ticks). Burst k must start at the first tick
        // at or after k * 13107.2, never one tick early and never one late.
        var s = new PacedSender(burstSize: 65536, burstRateRatio: 1.05);
        for (int k = 0; k < 10_000; k++)
        {
            long sent = s.SendPacket(65536, 0.2);
            long expected = s.Start + (long)Math.Floor(k * 13107.2);
            Assert.True(Math.Abs(sent - expected) <= 1, $"burst {k}: sent at +{sent - s.Start}, expected +{expected - s.Start}");
        }
    }

    [Fact]
    public void AMillionBurstsDoNotDrift()
    {
        // With whole-tick arithmetic every interval would round to 13107 and the millionth burst
        // would leave 200000 ticks (20 ms) early. The fractional correction keeps it within a tick.
        const int bursts = 1_000_000;
        var s = new PacedSender(burstSize: 65536, burstRateRatio: 1.05);
        long worst = 0;
        long last = 0;
        for (int k = 0; k < bursts; k++)
        {
            last = s.SendPacket(65536, 0.2);
            if ((k & 0x3FF) == 0)
            {
                worst = Math.Max(worst, Math.Abs(last - s.Start - (long)Math.Floor(k * 13107.2)));
            }
        }
        long exact = (long)Math.Floor((bursts - 1) * 13107.2);
        Assert.InRange(last - s.Start - exact, -1, 1);
        Assert.True(worst <= 1, $"worst deviation {worst} ticks");
        Assert.Equal(bursts - 1, s.Sleeps);
    }

    [Fact]
    public void SleepIsRepeatedUntilTheClockReachesTheWakeTime()
    {
        var s = new PacedSender(burstSize: 1000, burstRateRatio: 1.05);
        Assert.Equal(PacingResult.Success, s.Limiter.Next(true, out _));
        s.Limiter.Account(1000, 10.0);
        Assert.Equal(PacingResult.Sleep, s.Limiter.Next(true, out long wake));
        Assert.Equal(s.Start + 10_000, wake);

        // Woken early: still Sleep, same deadline, and nothing is double-counted.
        s.AdvanceTo(s.Start + 9_999);
        Assert.Equal(PacingResult.Sleep, s.Limiter.Next(true, out long wake2));
        Assert.Equal(wake, wake2);
        s.AdvanceTo(s.Start + 10_000);
        Assert.Equal(PacingResult.Success, s.Limiter.Next(true, out _));
    }

    [Fact]
    public void EmptyIsReportedOnlyWhenThePacerWouldAllowAPacket()
    {
        var s = new PacedSender(burstSize: 1000, burstRateRatio: 1.05);
        Assert.Equal(PacingResult.Empty, s.Limiter.Next(false, out _));
        Assert.Equal(PacingResult.Success, s.Limiter.Next(true, out _));
        s.Limiter.Account(1000, 10.0);
        // The burst is over and the next one is not due: Sleep wins over Empty.
        Assert.Equal(PacingResult.Sleep, s.Limiter.Next(false, out _));
        s.AdvanceTo(s.Start + 10_000);
        Assert.Equal(PacingResult.Empty, s.Limiter.Next(false, out _));
    }

    [Fact]
    public void CatchUpAfterOversleepIsBoundedByTheBurstRate()
    {
        // 40000 ticks per burst at the standard rate, 40000 / 1.05 = 38095.24 at the catch-up rate.
        const double ratio = 1.05;
        var s = new PacedSender(burstSize: 4000, burstRateRatio: ratio);
        var burstStarts = new List<long>();
        for (int k = 0; k < 400; k++)
        {
            if (k == 10)
            {
                s.NextOversleep = 200_000; // five bursts' worth
            }
            burstStarts.Add(s.SendPacket(4000, 10.0));
        }

        // Before the oversleep: the standard schedule.
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(s.Start + 40_000L * k, burstStarts[k]);
        }
        Assert.Equal(s.Start + 40_000L * 10 + 200_000, burstStarts[10]);

        // The late burst's deadline was its planned time, so the burst after it may follow at
        // once (as in spead2: at most two bursts back to back); from then on the sender is never
        // faster than the catch-up rate.
        Assert.Equal(burstStarts[10], burstStarts[11]);
        double minGap = 40_000 / ratio;
        for (int k = 12; k < burstStarts.Count; k++)
        {
            long gap = burstStarts[k] - burstStarts[k - 1];
            Assert.True(gap >= Math.Floor(minGap), $"bursts {k - 1}->{k} only {gap} ticks apart");
        }

        // ...but strictly faster than the standard rate while behind, so the deficit shrinks:
        // 200000 ticks behind, 40000 made up by burst 11, the rest at 1904.76 per burst = 84 more.
        int caughtUpAt = -1;
        for (int k = 12; k < burstStarts.Count; k++)
        {
            if (burstStarts[k] == s.Start + 40_000L * k)
            {
                caughtUpAt = k;
                break;
            }
            Assert.True(burstStarts[k] - burstStarts[k - 1] < 40_000, $"burst {k} was not catching up");
        }
        Assert.InRange(caughtUpAt, 94, 97);

        // ...and once caught up it is back on the original schedule: nothing was lost.
        for (int k = caughtUpAt; k < burstStarts.Count; k++)
        {
            Assert.Equal(s.Start + 40_000L * k, burstStarts[k]);
        }
    }

    [Fact]
    public void ARatioOfOneMeansNoCatchUp()
    {
        var s = new PacedSender(burstSize: 4000, burstRateRatio: 1.0);
        var starts = new List<long>();
        for (int k = 0; k < 50; k++)
        {
            if (k == 5)
            {
                s.NextOversleep = 100_000;
            }
            starts.Add(s.SendPacket(4000, 10.0));
        }
        // The burst after the late one goes at once (see above); after that the standard gap holds
        // and the lost time is never made up.
        Assert.Equal(starts[5], starts[6]);
        for (int k = 7; k < starts.Count; k++)
        {
            Assert.Equal(40_000, starts[k] - starts[k - 1]);
        }
        Assert.Equal(s.Start + 40_000L * 49 + 100_000 - 40_000, starts[49]);
    }

    [Fact]
    public void NoCatchUpAfterIdle()
    {
        var gaps = RunIdleScenario(wakeFromIdle: true);
        Assert.All(gaps, g => Assert.Equal(40_000, g));
    }

    [Fact]
    public void WithoutTheIdleRuleAQuietPeriodWouldLookLikeOversleeping()
    {
        // The same scenario without WakeFromIdle: the sender races at the catch-up rate,
        // which is what the idle rule exists to prevent.
        var gaps = RunIdleScenario(wakeFromIdle: false);
        Assert.Contains(gaps, g => g < 40_000);
    }

    private static List<long> RunIdleScenario(bool wakeFromIdle)
    {
        var s = new PacedSender(burstSize: 4000, burstRateRatio: 1.05);
        for (int k = 0; k < 10; k++)
        {
            s.SendPacket(4000, 10.0);
        }
        // The queue runs dry. The writer sees Empty once the burst's pacing allows a packet.
        s.AdvanceTo(s.Now + 40_000);
        Assert.Equal(PacingResult.Empty, s.Limiter.Next(false, out _));
        s.AdvanceTo(s.Now + Frequency); // a second of silence
        if (wakeFromIdle)
        {
            s.Limiter.WakeFromIdle();
        }
        long resumed = s.Now;
        var starts = new List<long>();
        for (int k = 0; k < 20; k++)
        {
            starts.Add(s.SendPacket(4000, 10.0));
        }
        Assert.Equal(resumed, starts[0]); // the first burst after idle goes at once
        var gaps = new List<long>();
        for (int k = 1; k < starts.Count; k++)
        {
            gaps.Add(starts[k] - starts[k - 1]);
        }
        return gaps;
    }

    [Fact]
    public void IdleRuleCountsThePartialBurstAsAlreadySent()
    {
        var s = new PacedSender(burstSize: 4000, burstRateRatio: 1.05);
        for (int k = 0; k < 5; k++)
        {
            s.SendPacket(500, 10.0); // 2500 bytes, 25000 ticks of weight, burst not finished
        }
        Assert.Equal(PacingResult.Empty, s.Limiter.Next(false, out _));
        s.AdvanceTo(s.Now + Frequency);
        s.Limiter.WakeFromIdle();
        long resumed = s.Now;
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(resumed, s.SendPacket(500, 10.0)); // completes the 4000-byte burst
        }
        // The burst is treated as having started 25000 ticks before the wake-up: 40000 - 25000.
        Assert.Equal(resumed + 15_000, s.SendPacket(500, 10.0));
    }

    [Fact]
    public void UnlimitedPacketsNeverSleep()
    {
        var s = new PacedSender(burstSize: 1000, burstRateRatio: 1.05);
        for (int k = 0; k < 1000; k++)
        {
            Assert.Equal(s.Start, s.SendPacket(1000, 0.0));
        }
        Assert.Equal(0, s.Sleeps);
    }

    [Fact]
    public void PerPacketWeightsMix()
    {
        // Alternating heaps at 10 ticks/byte and unlimited: each 2000-byte burst holds one of each,
        // so bursts are 10000 ticks apart although they carry 2000 bytes.
        var s = new PacedSender(burstSize: 2000, burstRateRatio: 1.05);
        for (int k = 0; k < 100; k++)
        {
            long a = s.SendPacket(1000, 10.0);
            long b = s.SendPacket(1000, 0.0);
            Assert.Equal(s.Start + 10_000L * k, a);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void BoundsStartAtConstructionTime()
    {
        var time = new FakeTimeProvider();
        time.Advance(TimeSpan.FromSeconds(5));
        var limiter = new RateLimiter(time, 1000, 1.05);
        Assert.Equal(new PreciseTime(time.GetTimestamp()), limiter.SendTime);
        Assert.Equal(new PreciseTime(time.GetTimestamp()), limiter.SendTimeBurst);
    }
}
