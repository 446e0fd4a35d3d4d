using System.Globalization;

namespace Spead2.Cli;

internal static class Units
{
    public static string Rate(double bytes, double seconds) =>
        seconds <= 0 ? "n/a" : (bytes * 8 / seconds / 1e9).ToString("0.000", CultureInfo.InvariantCulture) + " Gb/s";

    public static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
