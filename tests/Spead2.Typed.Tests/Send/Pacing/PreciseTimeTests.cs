using Spead2.Send;
using Spead2.Send.Pacing;
using Spead2.Tests.Support;

namespace Spead2.Tests.Send.Pacing;

public class PreciseTimeTests
{
    [Theory]
    [InlineData(100, 0.25, 100, 0.25)]
    [InlineData(100, 1.5, 101, 0.5)]
    [InlineData(100, 13107.2, 13207, 0.2)]
    [InlineData(100, -0.25, 99, 0.75)]
    [InlineData(100, -3.0, 97, 0.0)]
    [InlineData(100, 0.0, 100, 0.0)]
    public void AddNormalisesTheCorrectionIntoZeroToOne(long start, double delta, long coarse, double correction)
    {
        var t = new PreciseTime(start).Add(delta);
        Assert.Equal(coarse, t.Coarse);
        Assert.Equal(correction, t.Correction, 9);
        Assert.InRange(t.Correction, 0.0, 0.999999999999);
    }

    [Fact]
    public void TinyNegativeStepsKeepTheInvariant()
    {
        // 10 - 1e-18 is 9 + (1 - 1e-18), and 1 - 1e-18 rounds to exactly 1.0 in doubles: it folds back to 10 + 0.
        var t = new PreciseTime(10).Add(-1e-18);
        Assert.Equal(10, t.Coarse);
        Assert.Equal(0.0, t.Correction);
        // A step large enough to survive rounding stays below the tick.
        var u = new PreciseTime(10).Add(-1e-10);
        Assert.Equal(9, u.Coarse);
        Assert.Equal(1.0 - 1e-10, u.Correction);
        Assert.True(u.Correction < 1.0);
    }

    [Fact]
    public void FractionsAccumulateAcrossSteps()
    {
        var t = new PreciseTime(0);
        double sum = 0.0;
        for (int i = 0; i < 10; i++)
        {
            t = t.Add(0.1);
            sum += 0.1;
        }
        // 0.1 ten times is 0.9999999999999999 in doubles: still below the tick, and not a bit of it lost.
        Assert.Equal(0.9999999999999999, sum);
        Assert.Equal(0, t.Coarse);
        Assert.Equal(sum, t.Correction);
        // One more step crosses the tick and keeps the remainder.
        t = t.Add(0.1);
        Assert.Equal(1, t.Coarse);
        Assert.Equal(sum + 0.1 - 1.0, t.Correction);
    }

    [Fact]
    public void ComparisonUsesTheCorrection()
    {
        var a = new PreciseTime(5).Add(0.3);
        var b = new PreciseTime(5).Add(0.7);
        Assert.True(a < b);
        Assert.True(b > a);
        Assert.Equal(b, PreciseTime.Max(a, b));
        Assert.True(new PreciseTime(6) > b);
        Assert.True(a == new PreciseTime(5).Add(0.3));
    }
}
