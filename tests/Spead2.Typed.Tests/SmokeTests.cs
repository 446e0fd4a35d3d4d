namespace Spead2.Tests;

public class SmokeTests
{
    [Fact]
    public void AssemblyLoads() => Assert.Equal("Spead2.Typed", typeof(Spead2.Flavour).Assembly.GetName().Name);
}
