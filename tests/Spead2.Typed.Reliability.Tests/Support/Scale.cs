using System.Globalization;

namespace Spead2.Reliability.Tests;

/// <summary>
/// How much work the load, soak and fuzz tests do. The full figures (1,000,000 small heaps, 1,000 heaps of
/// 4 MiB, a soak of minutes) are scale 1; CI runs a fraction so the whole project stays well under three minutes
/// on a 2-core machine. Set SPEAD2_LOAD_SCALE (e.g. 1), SPEAD2_SOAK_SECONDS and SPEAD2_FUZZ_SECONDS for longer runs.
/// </summary>
internal static class Scale
{
    public const double DefaultLoad = 0.1;
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
