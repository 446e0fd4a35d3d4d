using System.Text;

namespace Spead2.Typed.Generators.Shared;

/// <summary>Naming and text rules shared by the generator and the analyzers.</summary>
internal static class SpeadNames
{
    /// <summary>
    /// The default item name: the member name in snake_case (<c>AdcCount</c> → <c>adc_count</c>,
    /// <c>HTTPServer</c> → <c>http_server</c>), the convention of spead2's Python users.
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                    || (char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (boundary && sb.Length > 0 && sb[sb.Length - 1] != '_')
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>spead2 encodes names and descriptions with Python's <c>ascii</c> codec: 0..127 only.</summary>
    public static bool IsAscii(string text)
    {
        foreach (var c in text)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
