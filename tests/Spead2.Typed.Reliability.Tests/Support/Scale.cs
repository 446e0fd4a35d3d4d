using System.Globalization;

namespace Spead2.Reliability.Tests;

/// <summary>
/// How much work the load, soak and fuzz tests do. Scale 1 (the default) is the load: 1,000,000 small heaps
/// and 1,000 heaps of 4 MiB through each of TCP and in-process streams, which takes about 15 s here. Set
/// SPEAD2_LOAD_SCALE below 1 on a slower machine (or above 1 for more), SPEAD2_SOAK_SECONDS (20 by default) and
/// SPEAD2_FUZZ_SECONDS (5 by default) for longer soak and fuzz runs. Every test prints what it ran.
/// </summary>
internal static class Scale
{
    public const double DefaultLoad = 1.0;
    public const int DefaultSoakSeconds = 20;
    public const int DefaultFuzzSeconds = 5;

    public static double Load => Read("SPEAD2_LOAD_SCALE", DefaultLoad);

    public static int SoakSeconds => (int)Read("SPEAD2_SOAK_SECONDS", DefaultSoakSeconds);

    public static int FuzzSeconds => (int)Read("SPEAD2_FUZZ_SECONDS", DefaultFuzzSeconds);

    /// <summary><paramref name="full"/> scaled by <see cref="Load"/>, at least <paramref name="minimum"/>.</summary>
    public static int Count(int full, int minimum) => Math.Max(minimum, (int)Math.Round(full * Load));

    private static double Read(string name, double fallback)
    {
        string? text = Environment.GetEnvironmentVariable(name);
        return text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : fallback;
    }
}
