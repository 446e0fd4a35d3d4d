namespace Spead2.Send;

/// <summary>
/// A heap together with how to send it, for <see cref="SendStream.SendHeaps(IReadOnlyList{HeapReference}, GroupMode)"/>.
/// </summary>
public readonly struct HeapReference : IEquatable<HeapReference>
{
    /// <summary>Describes one heap of a group.</summary>
    /// <param name="heap">The heap; it must not change until the group has been sent.</param>
    /// <param name="cnt">The heap cnt, or a negative value for the next of the stream's automatic sequence.</param>
    /// <param name="substreamIndex">The substream (destination) to send it to.</param>
    /// <param name="rate">Bytes per second for this heap; negative for the stream's rate, 0 for unlimited.</param>
    /// <exception cref="ArgumentNullException"><paramref name="heap"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="substreamIndex"/> is negative or
    /// <paramref name="rate"/> is not finite.</exception>
    public HeapReference(Heap heap, long cnt = -1, int substreamIndex = 0, double rate = -1)
    {
        ArgumentNullException.ThrowIfNull(heap);
        ArgumentOutOfRangeException.ThrowIfNegative(substreamIndex);
        if (!double.IsFinite(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be finite (negative = the stream's rate, 0 = unlimited).");
        }
        Heap = heap;
        Cnt = cnt;
        SubstreamIndex = substreamIndex;
        Rate = rate;
    }

    /// <summary>The heap (null only for a default-constructed value, which streams reject).</summary>
    public Heap Heap { get; }

    /// <summary>The heap cnt, or negative for automatic.</summary>
    public long Cnt { get; }

    /// <summary>The substream to send to.</summary>
    public int SubstreamIndex { get; }

    /// <summary>Bytes per second for this heap; negative for the stream's rate, 0 for unlimited.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public bool Equals(HeapReference other) =>
        ReferenceEquals(Heap, other.Heap) && Cnt == other.Cnt && SubstreamIndex == other.SubstreamIndex && Rate.Equals(other.Rate);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is HeapReference other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Heap, Cnt, SubstreamIndex, Rate);

    /// <summary>Equality: same heap object and same settings.</summary>
    public static bool operator ==(HeapReference left, HeapReference right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(HeapReference left, HeapReference right) => !left.Equals(right);
}
