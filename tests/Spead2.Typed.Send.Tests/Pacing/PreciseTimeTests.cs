using Spead2.Send.Pacing;

namespace Spead2.Send.Tests.Pacing;

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
        var t = new PreciseTime(10).Add(-1e-18);
        Assert.True(t.Correction is >= 0.0 and < 1.0);
        Assert.True(t.Coarse is 9 or 10);
    }

    [Fact]
    public void FractionsAccumulateAcrossSteps()
    {
        var t = new PreciseTime(0);
        for (int i = 0; i < 10; i++)
        {
            t = t.Add(0.1);
        }
        // 0.1 ten times is 0.9999999999999999 in doubles; either side of the tick is acceptable,
        // but the total must not be lost.
        Assert.InRange(t.Coarse + t.Correction, 0.999999999, 1.000000001);
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
