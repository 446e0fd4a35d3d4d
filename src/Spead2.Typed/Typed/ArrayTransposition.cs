namespace Spead2.Typed;

/// <summary>
/// Reorders the elements of an N-dimensional array between C order (last index fastest, .NET's rectangular
/// arrays) and Fortran order (first index fastest), for Fortran-order items. Allocation-free: the index counters
/// live on the stack.
/// </summary>
internal static class ArrayTransposition
{
    public static ReadOnlySpan<long> Lengths(Array array, Span<long> lengths)
    {
        for (int d = 0; d < lengths.Length; d++)
            lengths[d] = array.GetLength(d);
        return lengths;
    }

    /// <summary>destination (Fortran order) ← source (C order).</summary>
    public static void CToFortran<T>(ReadOnlySpan<T> source, Span<T> destination, ReadOnlySpan<long> lengths)
    {
        Span<long> index = stackalloc long[lengths.Length];
        Span<long> stride = stackalloc long[lengths.Length];
        FortranStrides(lengths, stride);
        long fortran = 0;
        for (int c = 0; c < source.Length; c++)
        {
            destination[(int)fortran] = source[c];
            fortran = Next(lengths, index, stride, fortran);
        }
    }

    /// <summary>destination (C order) ← source (Fortran order).</summary>
    public static void FortranToC<T>(ReadOnlySpan<T> source, Span<T> destination, ReadOnlySpan<long> lengths)
    {
        Span<long> index = stackalloc long[lengths.Length];
        Span<long> stride = stackalloc long[lengths.Length];
        FortranStrides(lengths, stride);
        long fortran = 0;
        for (int c = 0; c < destination.Length; c++)
        {
            destination[c] = source[(int)fortran];
            fortran = Next(lengths, index, stride, fortran);
        }
    }

    private static void FortranStrides(ReadOnlySpan<long> lengths, Span<long> stride)
    {
        long s = 1;
        for (int d = 0; d < lengths.Length; d++)
        {
            stride[d] = s;
            s *= lengths[d];
        }
    }

    /// <summary>Advances the C-order multi-index by one and returns the matching Fortran offset.</summary>
    private static long Next(ReadOnlySpan<long> lengths, Span<long> index, ReadOnlySpan<long> stride, long fortran)
    {
        for (int d = lengths.Length - 1; d >= 0; d--)
        {
            if (++index[d] < lengths[d])
                return fortran + stride[d];
            fortran -= (index[d] - 1) * stride[d];
            index[d] = 0;
        }
        return 0;
    }
}
