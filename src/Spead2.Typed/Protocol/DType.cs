using System.Globalization;

namespace Spead2.Protocol;

/// <summary>
/// A simple numpy dtype (boolean, integer, float, complex or byte string) with an explicit byte order,
/// normalised the way numpy's <c>dtype.str</c> writes it (e.g. <c>&lt;f4</c>, <c>&gt;u8</c>, <c>|u1</c>, <c>|b1</c>, <c>|S4</c>).
/// </summary>
public readonly record struct DType
{
    private DType(char byteOrder, char kind, int itemSize)
    {
        ByteOrder = byteOrder;
        Kind = kind;
        ItemSize = itemSize;
    }

    /// <summary><c>&lt;</c> little-endian, <c>&gt;</c> big-endian, or <c>|</c> for single-byte and string types.</summary>
    public char ByteOrder { get; }

    /// <summary>numpy kind: <c>b</c> bool, <c>i</c>, <c>u</c>, <c>f</c>, <c>c</c> complex, <c>S</c> bytes.</summary>
    public char Kind { get; }

    /// <summary>Size of one element in bytes.</summary>
    public int ItemSize { get; }

    /// <summary>Whether multi-byte values are stored big-endian.</summary>
    public bool IsBigEndian => ByteOrder == '>';

    /// <summary>numpy's <c>dtype.str</c> for this type.</summary>
    public string Descr => string.Create(CultureInfo.InvariantCulture, $"{ByteOrder}{Kind}{ItemSize}");

    /// <summary>The same type with the opposite byte order (single-byte types are unchanged).</summary>
    public DType SwapByteOrder() => ByteOrder switch
    {
        '<' => new DType('>', Kind, ItemSize),
        '>' => new DType('<', Kind, ItemSize),
        _ => this,
    };

    /// <summary>The dtype of a .NET primitive in this machine's byte order.</summary>
    public static DType ForNative(char kind, int itemSize) => Create(BitConverter.IsLittleEndian ? '<' : '>', kind, itemSize);

    private static DType Create(char order, char kind, int size)
    {
        // numpy writes '|' for types whose byte order cannot matter.
        if (size == 1 || kind is 'S' or 'b')
            order = '|';
        return new DType(order, kind, size);
    }

    /// <summary>Returns <see cref="Descr"/>.</summary>
    public override string ToString() => Descr;

    /// <summary>
    /// Parses a dtype string: an optional byte order (<c>&lt; &gt; | =</c>), then a kind and size (<c>u2</c>, <c>f8</c>,
    /// <c>c8</c>, <c>S4</c>, <c>b1</c>), or <c>?</c>, or a numpy name such as <c>float32</c>. Without a byte order the
    /// machine's is used, as numpy does.
    /// </summary>
    /// <exception cref="ArgumentException">The string is not a supported dtype.</exception>
    public static DType Parse(string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (TryParse(dtype, out var result, out var error))
            return result;
        throw new ArgumentException($"Unsupported dtype '{dtype}': {error}", nameof(dtype));
    }

    private static bool TryParse(string text, out DType result, out string error)
    {
        result = default;
        string s = text.Trim();
        char order = BitConverter.IsLittleEndian ? '<' : '>';
        if (s.Length > 0 && s[0] is '<' or '>' or '|' or '=')
        {
            if (s[0] != '=')
                order = s[0];
            s = s[1..];
        }
        switch (s)
        {
            case "?": case "bool": s = "b1"; break;
            case "int8": s = "i1"; break;
            case "uint8": s = "u1"; break;
            case "int16": s = "i2"; break;
            case "uint16": s = "u2"; break;
            case "int32": s = "i4"; break;
            case "uint32": s = "u4"; break;
            case "int64": s = "i8"; break;
            case "uint64": s = "u8"; break;
            case "float16": s = "f2"; break;
            case "float32": s = "f4"; break;
            case "float64": s = "f8"; break;
            case "complex64": s = "c8"; break;
            case "complex128": s = "c16"; break;
        }
        if (s.Length < 2)
        {
            error = "expected a kind letter and a size, e.g. '<f4'";
            return false;
        }
        char kind = s[0] == 'a' ? 'S' : s[0];
        if (!int.TryParse(s.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int size))
        {
            error = "the size must be a whole number of bytes";
            return false;
        }
        bool ok = kind switch
        {
            'b' => size == 1,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'f' => size is 2 or 4 or 8,
            'c' => size is 8 or 16,
            'S' => size >= 1,
            _ => false,
        };
        if (!ok)
        {
            error = "supported kinds and sizes are b1, i1/2/4/8, u1/2/4/8, f2/4/8, c8/16 and S<n> (n >= 1)";
            return false;
        }
        result = Create(order, kind, size);
        error = "";
        return true;
    }
}
