namespace Spead2.Protocol;

/// <summary>
/// One field of a legacy SPEAD format: a type code and a width in bits. Codes are <c>u</c> (unsigned),
/// <c>i</c> (signed, two's complement), <c>f</c> (IEEE float, 32 or 64 bits), <c>b</c> (boolean) and
/// <c>c</c> (ASCII character, 8 bits). Values are big-endian, packed MSB first with no alignment.
/// </summary>
/// <param name="Code">The type code.</param>
/// <param name="Bits">The width in bits.</param>
public readonly record struct FormatField(char Code, int Bits)
{
    /// <summary>Checks the field against the codes and widths spead2 accepts (and that this library can encode).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The code or width is not supported.</exception>
    public void Validate(string paramName = "format")
    {
        switch (Code)
        {
            case 'u':
            case 'i':
            case 'b':
                if (Bits is < 1 or > 64)
                    throw new ArgumentOutOfRangeException(paramName, Bits, $"Format field ('{Code}', {Bits}): width must be from 1 to 64 bits.");
                break;
            case 'f':
                if (Bits is not (32 or 64))
                    throw new ArgumentOutOfRangeException(paramName, Bits, $"Format field ('f', {Bits}): floats must be 32 or 64 bits.");
                break;
            case 'c':
                if (Bits != 8)
                    throw new ArgumentOutOfRangeException(paramName, Bits, $"Format field ('c', {Bits}): characters must be 8 bits.");
                break;
            default:
                throw new ArgumentOutOfRangeException(paramName, Code, $"Format field ('{Code}', {Bits}): illegal code; use u, i, f, b or c.");
        }
    }

    /// <summary>Python-style text, e.g. <c>('u', 8)</c>.</summary>
    public override string ToString() => $"('{Code}', {Bits})";
}

/// <summary>Memory order of a multi-dimensional value.</summary>
public enum ArrayOrder
{
    /// <summary>Row-major (C) order, the default.</summary>
    C,

    /// <summary>Column-major (Fortran) order; only allowed with a numpy dtype.</summary>
    Fortran,
}
