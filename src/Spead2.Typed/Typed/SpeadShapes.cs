using System.Collections;
using System.Globalization;
using Spead2.Protocol;

namespace Spead2.Typed;

/// <summary>Special values for <see cref="SpeadItemAttribute.Shape"/>.</summary>
public static class SpeadDimension
{
    /// <summary>
    /// The single variable dimension of an item (Python's <c>None</c>): each value decides it, and it travels on
    /// spead2's format path (big-endian fields). At most one per item.
    /// </summary>
    public const int Variable = -1;

    /// <summary>
    /// A dimension fixed for the life of a stream but chosen at run time (e.g. channels per substream). Give the
    /// member's full shape in a <see cref="SpeadShapes"/> when creating the <see cref="HeapWriter{T}"/> and
    /// <see cref="HeapReader{T}"/>; the descriptors then carry the concrete shape.
    /// </summary>
    public const int RunTime = -2;
}

/// <summary>The byte order of a dtype item's multi-byte elements on the wire.</summary>
public enum SpeadByteOrder
{
    /// <summary>This machine's order (the default): values go out without a copy.</summary>
    Native,

    /// <summary>Little-endian (<c>&lt;</c>), e.g. katgpucbf's <c>&lt;i4</c> visibilities; swapped on a big-endian host.</summary>
    LittleEndian,

    /// <summary>Big-endian (<c>&gt;</c>); swapped (copied into the heap) on a little-endian host.</summary>
    BigEndian,
}

/// <summary>
/// The run-time shapes of a record's members declared with <see cref="SpeadDimension.RunTime"/> dimensions, by
/// member name: the full shape of each, fixed dimensions repeated as declared. Give it once to
/// <see cref="HeapWriter{T}"/> and <see cref="HeapReader{T}"/> (or <see cref="SpeadLayout.WithShapes"/>), which
/// copy what they need: changing it afterwards changes nothing.
/// </summary>
/// <example>
/// <code>
/// var shapes = new SpeadShapes { { nameof(XengDump.XengRaw), channelsPerSubstream, baselines, 2 } };
/// var writer = new HeapWriter&lt;XengDump&gt;(shapes);
/// </code>
/// </example>
public sealed class SpeadShapes : IEnumerable<KeyValuePair<string, long[]>>
{
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);

    /// <summary>Number of members given.</summary>
    public int Count => _shapes.Count;

    /// <summary>The full shape of a member (a copy is stored and returned).</summary>
    /// <param name="member">The member name, e.g. <c>nameof(XengDump.XengRaw)</c>.</param>
    /// <exception cref="KeyNotFoundException">No shape was given for <paramref name="member"/> (get).</exception>
    public long[] this[string member]
    {
        get => _shapes.TryGetValue(member, out var shape) ? (long[])shape.Clone() : throw new KeyNotFoundException($"No shape was given for '{member}'.");
        set => Set(member, value);
    }

    /// <summary>Sets the full shape of a member (the collection-initializer form <c>{ name, d0, d1, ... }</c>).</summary>
    /// <param name="member">The member name.</param>
    /// <param name="shape">Every dimension, in order; each at least 0 (or -1 where the declaration has a variable dimension).</param>
    public void Add(string member, params long[] shape) => Set(member, shape);

    /// <summary>Gets the shape given for a member.</summary>
    /// <param name="member">The member name.</param>
    /// <param name="shape">A copy of the shape.</param>
    /// <returns>Whether one was given.</returns>
    public bool TryGetShape(string member, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out long[] shape)
    {
        if (_shapes.TryGetValue(member, out var stored))
        {
            shape = (long[])stored.Clone();
            return true;
        }
        shape = null;
        return false;
    }

    internal bool TryGetStored(string member, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out long[] shape) =>
        _shapes.TryGetValue(member, out shape);

    private void Set(string member, long[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(member);
        ArgumentNullException.ThrowIfNull(shape);
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < Descriptor.VariableDimension)
            {
                throw new ArgumentOutOfRangeException(nameof(shape), shape[i],
                    string.Create(CultureInfo.InvariantCulture, $"Dimension {i} of the shape of '{member}' is negative."));
            }
        }
        _shapes[member] = (long[])shape.Clone();
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, long[]>> GetEnumerator() => _shapes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
