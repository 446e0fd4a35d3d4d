namespace Spead2.Recv;

/// <summary>
/// Reads SPEAD format fields: values of 1 to 64 bits, MSB first, packed with no alignment (the
/// inverse of spead2's bit packer; whole-byte fields at byte boundaries are plain big-endian).
/// For generated decoders that read format items without boxing.
/// </summary>
internal ref struct BitFieldReader
{
    private readonly ReadOnlySpan<byte> _data;
    private long _bitPosition;

    /// <summary>Starts reading at the first bit of <paramref name="data"/>.</summary>
    /// <param name="data">The value bytes (see <see cref="ItemValueDecoder.GetValueBytes"/>).</param>
    public BitFieldReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _bitPosition = 0;
    }

    /// <summary>Bits read so far.</summary>
    public readonly long BitPosition => _bitPosition;

    /// <summary>Bits left to read.</summary>
    public readonly long BitsRemaining => _data.Length * 8L - _bitPosition;

    /// <summary>Reads an unsigned field.</summary>
    /// <param name="bits">Width, 1 to 64.</param>
    /// <returns>The field's value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The width is out of range or runs past the data.</exception>
    public ulong ReadUInt64(int bits)
    {
        if (bits is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "A field is 1 to 64 bits wide.");
        if (bits > BitsRemaining)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"Only {BitsRemaining} bits are left.");
        ulong value = 0;
        if ((_bitPosition & 7) == 0 && (bits & 7) == 0)
        {
            foreach (byte b in _data.Slice((int)(_bitPosition >> 3), bits >> 3))
                value = (value << 8) | b;
            _bitPosition += bits;
            return value;
        }
        for (int i = 0; i < bits; i++)
        {
            int bit = (_data[(int)(_bitPosition >> 3)] >> (7 - (int)(_bitPosition & 7))) & 1;
            value = (value << 1) | (uint)bit;
            _bitPosition++;
        }
        return value;
    }

    /// <summary>Reads a two's complement signed field.</summary>
    /// <param name="bits">Width, 1 to 64.</param>
    /// <returns>The field's value, sign-extended.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The width is out of range or runs past the data.</exception>
    public long ReadInt64(int bits)
    {
        ulong v = ReadUInt64(bits);
        return bits == 64 ? (long)v : (long)(v << (64 - bits)) >> (64 - bits);
    }
}
