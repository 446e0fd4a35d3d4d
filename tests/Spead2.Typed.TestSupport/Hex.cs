using System.Globalization;
using System.Text;
using Xunit;

namespace Spead2.TestSupport;

/// <summary>
/// The tests' hex helper: expected bytes written as in the protocol document (<see cref="Parse"/>, <see cref="Concat"/>),
/// dumps of 8 bytes a row matching the rows of a SPEAD pointer table, and byte comparisons that fail with both dumps
/// side by side, so a wrong pointer shows up as one marked row.
/// </summary>
public static class Hex
{
    private const int RowBytes = 8;

    /// <summary>Formats <paramref name="data"/> as rows like <c>0008: 80 00 01 00 00 00 00 01</c>.</summary>
    public static string Format(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder();
        for (int row = 0; row * RowBytes < data.Length; row++)
        {
            if (row > 0)
                sb.Append('\n');
            sb.Append(Row(data, row));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Parses hex text such as <c>"53 04 03 05 | 00 00"</c>: pairs of hex digits, with white space and '|' separators
    /// ignored. Anything else is a mistake in the test and throws.
    /// </summary>
    public static byte[] Parse(string hex)
    {
        var digits = new StringBuilder(hex.Length);
        foreach (char c in hex)
        {
            if (Uri.IsHexDigit(c))
                digits.Append(c);
            else if (!char.IsWhiteSpace(c) && c != '|')
                throw new FormatException($"Unexpected character '{c}' in hex text.");
        }
        if (digits.Length % 2 != 0)
            throw new FormatException("Odd number of hex digits.");
        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Concatenates byte arrays and ASCII text.</summary>
    public static byte[] Concat(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] b: list.AddRange(b); break;
                case string s: list.AddRange(Encoding.ASCII.GetBytes(s)); break;
                default: throw new ArgumentException("parts must be byte[] or ASCII string", nameof(parts));
            }
        }
        return [.. list];
    }

    /// <summary>Fails with a side-by-side dump (differing rows marked <c>!!</c>) unless the bytes are equal.</summary>
    public static void AssertEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string? context = null)
    {
        if (expected.SequenceEqual(actual))
            return;
        int first = 0;
        while (first < expected.Length && first < actual.Length && expected[first] == actual[first])
            first++;
        var sb = new StringBuilder();
        if (context is not null)
            sb.Append(context).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"Bytes differ: expected {expected.Length} bytes, actual {actual.Length}; first difference at offset 0x{first:x4} ({first}).\n");
        sb.Append("   offset  expected                   | actual\n");
        int rows = (Math.Max(expected.Length, actual.Length) + RowBytes - 1) / RowBytes;
        for (int row = 0; row < rows; row++)
        {
            string e = RowBytesText(expected, row);
            string a = RowBytesText(actual, row);
            sb.Append(e == a ? "   " : "!! ")
              .Append((row * RowBytes).ToString("x4", CultureInfo.InvariantCulture)).Append(":   ")
              .Append(e.PadRight(23)).Append("    | ").Append(a).Append('\n');
        }
        Assert.Fail(sb.ToString());
    }

    /// <summary>Compares two packet lists: the count first, then each packet with <see cref="AssertEqual"/>.</summary>
    public static void AssertPacketsEqual(IReadOnlyList<byte[]> expected, IReadOnlyList<byte[]> actual, string? context = null)
    {
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
            AssertEqual(expected[i], actual[i], $"{context}{(context is null ? "" : ": ")}packet {i} of {expected.Count} (actual has {actual.Count})");
        if (expected.Count != actual.Count)
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{context}{(context is null ? "" : ": ")}expected {expected.Count} packets, got {actual.Count}.\n");
            var longer = expected.Count > actual.Count ? expected : actual;
            for (int i = Math.Min(expected.Count, actual.Count); i < longer.Count; i++)
                sb.Append(CultureInfo.InvariantCulture, $"extra {(longer == expected ? "expected" : "actual")} packet {i}:\n").Append(Format(longer[i])).Append('\n');
            Assert.Fail(sb.ToString());
        }
    }

    private static string Row(ReadOnlySpan<byte> data, int row) =>
        (row * RowBytes).ToString("x4", CultureInfo.InvariantCulture) + ": " + RowBytesText(data, row);

    private static string RowBytesText(ReadOnlySpan<byte> data, int row)
    {
        int start = row * RowBytes;
        if (start >= data.Length)
            return "";
        var slice = data.Slice(start, Math.Min(RowBytes, data.Length - start));
        var sb = new StringBuilder(RowBytes * 3);
        for (int i = 0; i < slice.Length; i++)
        {
            if (i > 0)
                sb.Append(' ');
            sb.Append(slice[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
