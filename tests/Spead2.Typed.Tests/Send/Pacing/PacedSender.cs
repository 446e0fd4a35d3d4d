using Microsoft.Extensions.Time.Testing;
using Spead2.Send;
using Spead2.Send.Pacing;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Pacing;

/// <summary>
/// Drives a <see cref="RateLimiter"/> the way the stream writer does, on a fake clock, and records
/// the timestamp at which every packet was released.
/// </summary>
internal sealed class PacedSender
{
    public PacedSender(long burstSize, double burstRateRatio)
    {
        Time = new FakeTimeProvider();
        Limiter = new RateLimiter(Time, burstSize, burstRateRatio);
        Start = Time.GetTimestamp();
    }

    public FakeTimeProvider Time { get; }

    public RateLimiter Limiter { get; }

    /// <summary>The fake clock's timestamp when the pacer was created.</summary>
    public long Start { get; }

    public long Now => Time.GetTimestamp();

    public int Sleeps { get; private set; }

    /// <summary>Extra ticks added to the next sleep, as if the OS woke the sender late.</summary>
    public long NextOversleep { get; set; }

    /// <summary>Sends one packet, sleeping (by moving the fake clock) as the pacer asks.</summary>
    /// <returns>The timestamp at which the packet was released.</returns>
    public long SendPacket(int size, double waitPerByte)
    {
        while (true)
        {
            PacingResult r = Limiter.Next(packetAvailable: true, out long wake);
            switch (r)
            {
                case PacingResult.Success:
                    Limiter.Account(size, waitPerByte);
                    return Now;
                case PacingResult.Sleep:
                    Assert.True(wake > Now, $"asked to sleep until {wake}, which is not after now ({Now})");
                    Sleeps++;
                    AdvanceTo(wake + NextOversleep);
                    NextOversleep = 0;
                    break;
                default:
                    Assert.Fail($"unexpected {r} with a packet available");
                    break;
            }
        }
    }

    /// <summary>Moves the fake clock forward to <paramref name="timestamp"/>.</summary>
    public void AdvanceTo(long timestamp)
    {
        long delta = timestamp - Now;
        Assert.True(delta >= 0);
        // FakeTimeProvider's timestamps are DateTimeOffset ticks, so ticks map 1:1.
        Time.Advance(TimeSpan.FromTicks(delta));
    }
}
