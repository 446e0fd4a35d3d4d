using System.Globalization;
using System.Text;

namespace Spead2.Tests.Support;

/// <summary>Hex helpers: expected bytes are written as in the protocol document, compared as dumps so a mismatch shows where.</summary>
internal static class Hex
{
    /// <summary>Parses hex byte pairs, ignoring spaces, newlines and '|' separators.</summary>
    public static byte[] Parse(string text)
    {
        var digits = new StringBuilder();
        foreach (char c in text)
        {
            if (Uri.IsHexDigit(c))
                digits.Append(c);
            else if (!char.IsWhiteSpace(c) && c != '|')
                throw new FormatException($"Unexpected character '{c}' in hex text.");
        }
        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Concatenates hex text and ASCII text parts.</summary>
    public static byte[] Concat(params object[] parts)
    {
        var list = new List<byte>();
        foreach (var part in parts)
        {
            switch (part)
            {
                case byte[] b: list.AddRange(b); break;
                case string s: list.AddRange(Encoding.ASCII.GetBytes(s)); break;
                default: throw new ArgumentException("parts must be byte[] or ASCII string");
            }
        }
        return list.ToArray();
    }

    /// <summary>An offset-annotated dump, 8 bytes per row (one SPEAD word).</summary>
    public static string Dump(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < bytes.Length; i += 8)
        {
            sb.Append(i.ToString("x4", CultureInfo.InvariantCulture)).Append(':');
            for (int j = i; j < Math.Min(i + 8, bytes.Length); j++)
                sb.Append(' ').Append(bytes[j].ToString("x2", CultureInfo.InvariantCulture));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static void Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual) =>
        Assert.Equal(Dump(expected), Dump(actual));
}
