using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Spead2.Cli;

/// <summary>
/// How every command declares its options, so that one rule holds everywhere: sizes in bytes accept K, M and G
/// suffixes, and a bad value is reported in the words and units the user typed ("--rate must be &gt;= 0 Gb/s, got -1"),
/// before anything is converted for the library.
/// </summary>
internal static class CliOptions
{
    /// <summary>What a size option accepts, for help texts and errors.</summary>
    public const string SizeSyntax = "bytes; a K, M or G suffix multiplies by 1024, 1024^2 or 1024^3";

    /// <summary>
    /// Parses a byte count: digits, optionally followed by K, M or G (either case) for binary multiples, as in
    /// "1472", "64K", "4M", "1G". Binary because heap and buffer sizes are powers of two in practice (spead2_bench's
    /// 4M heap is 4194304 bytes).
    /// </summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        ReadOnlySpan<char> digits = text.AsSpan().Trim();
        int shift = 0;
        if (digits.Length > 0)
        {
            switch (digits[^1])
            {
                case 'k' or 'K': shift = 10; break;
                case 'm' or 'M': shift = 20; break;
                case 'g' or 'G': shift = 30; break;
            }
        }
        if (shift != 0)
            digits = digits[..^1];
        // A sign is accepted so that "-1" is reported as below the option's minimum, not as "not a size"; no spaces,
        // separators or fractions.
        if (!long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            return false;
        if (value > long.MaxValue >> shift || value < long.MinValue >> shift)
            return false;
        bytes = value << shift;
        return true;
    }

    /// <summary>Writes a byte count the way a user would type it: the largest suffix that divides it exactly.</summary>
    public static string FormatSize(long bytes) => bytes switch
    {
        0 => "0",
        _ when bytes % (1L << 30) == 0 => $"{bytes >> 30}G",
        _ when bytes % (1L << 20) == 0 => $"{bytes >> 20}M",
        _ when bytes % (1L << 10) == 0 => $"{bytes >> 10}K",
        _ => bytes.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A size option with a default: a byte count from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static Option<long> Size(string name, string description, long defaultValue, long min, long max = long.MaxValue) =>
        new(name)
        {
            Description = $"{description} ({SizeSyntax})",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseSizeToken(result, name, min, max) ?? defaultValue,
        };

    /// <summary>A size option without a default (null when absent).</summary>
    public static Option<long?> OptionalSize(string name, string description, long min, long max = long.MaxValue) =>
        new(name)
        {
            Description = $"{description} ({SizeSyntax})",
            CustomParser = result => ParseSizeToken(result, name, min, max),
        };

    private static long? ParseSizeToken(ArgumentResult result, string name, long min, long max)
    {
        // Arity is one value per occurrence; System.CommandLine has already reported a missing value.
        if (result.Tokens.Count == 0)
            return null;
        string text = result.Tokens[^1].Value;
        if (!TryParseSize(text, out long bytes))
        {
            result.AddError($"{name} must be a whole number of bytes, optionally with a K, M or G suffix, got '{text}'");
            return null;
        }
        if (bytes < min)
            result.AddError($"{name} must be >= {Bytes(min)}, got {text}");
        else if (bytes > max)
            result.AddError($"{name} must be <= {Bytes(max)}, got {text}");
        return bytes;
    }

    private static string Bytes(long bytes)
    {
        string plain = bytes == 1 ? "1 byte" : $"{bytes.ToString(CultureInfo.InvariantCulture)} bytes";
        string suffixed = FormatSize(bytes);
        return char.IsAsciiDigit(suffixed[^1]) ? plain : $"{suffixed} ({plain})";
    }

    /// <summary>
    /// The library's own words from an <see cref="ArgumentException"/>, without the " (Parameter 'x')" and
    /// "Actual value was" that name its parameters rather than the command line; the value, if any, in brackets.
    /// </summary>
    public static string LibraryMessage(ArgumentException e)
    {
        string message = e.Message;
        int newline = message.IndexOf('\n', StringComparison.Ordinal);
        if (newline >= 0)
            message = message[..newline];
        string suffix = $" (Parameter '{e.ParamName}')";
        if (e.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal))
            message = message[..^suffix.Length];
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
            message = $"{message.TrimEnd('.')} (value {Convert.ToString(actual, CultureInfo.InvariantCulture)}).";
        return message;
    }

    /// <summary>
    /// Adds a check to <paramref name="option"/>: when the user gave it and <paramref name="valid"/> is false, parsing
    /// fails with "NAME must be REQUIREMENT, got TEXT", TEXT being the token as typed.
    /// </summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> valid, string requirement)
    {
        option.Validators.Add(result =>
        {
            // Only what the user typed is checked: defaults are valid by construction.
            if (result.Tokens.Count == 0)
                return;
            var value = result.GetValueOrDefault<T>();
            if (value is not null && !valid(value))
                result.AddError($"{option.Name} must be {requirement}, got {result.Tokens[^1].Value}");
        });
        return option;
    }

    /// <summary>Requires a value of at least <paramref name="min"/>; <paramref name="unit"/> is appended to the limit.</summary>
    public static Option<T> AtLeast<T>(this Option<T> option, T min, string? unit = null) where T : INumber<T> =>
        // !(v < min) lets NaN through to Finite's clearer message instead of reporting it twice.
        option.Require(v => !(v < min), $">= {min.ToString(null, CultureInfo.InvariantCulture)}{(unit is null ? "" : " " + unit)}");

    /// <summary>Requires a value from <paramref name="min"/> to <paramref name="max"/> inclusive.</summary>
    public static Option<T> Between<T>(this Option<T> option, T min, T max) where T : INumber<T> =>
        option.Require(v => v >= min && v <= max,
            $"from {min.ToString(null, CultureInfo.InvariantCulture)} to {max.ToString(null, CultureInfo.InvariantCulture)}");

    /// <summary>Nullable counterpart of <see cref="Between{T}(Option{T}, T, T)"/>.</summary>
    public static Option<T?> Between<T>(this Option<T?> option, T min, T max) where T : struct, INumber<T> =>
        option.Require(v => v is not { } x || (x >= min && x <= max),
            $"from {min.ToString(null, CultureInfo.InvariantCulture)} to {max.ToString(null, CultureInfo.InvariantCulture)}");

    /// <summary>Rejects NaN and infinities, which every floating-point option of the tools would misuse.</summary>
    public static Option<double> Finite(this Option<double> option) =>
        option.Require(double.IsFinite, "a finite number");
}

/// <summary>
/// A bad combination of options found while running a command. <see cref="Program"/> prints its message as it is and
/// exits with 2, as for a parse error (an <see cref="ArgumentException"/>'s message would add the parameter name and
/// "Actual value was", which speak of the library, not of the command line).
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
