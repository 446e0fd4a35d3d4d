using System.Collections;
using System.Runtime.CompilerServices;
using System.Text;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// The fields of one element of a multi-field format (Python's tuple), e.g. <c>(12, 1.5)</c> for
/// <c>[('u', 8), ('f', 32)]</c>. Implements <see cref="ITuple"/>, so it can be assigned back to an
/// <see cref="Item"/> and sent again. Equality compares the fields.
/// </summary>
public sealed class FieldValues : ITuple, IReadOnlyList<object>, IEquatable<FieldValues>
{
    private readonly object[] _fields;

    /// <summary>Wraps field values (not copied).</summary>
    /// <param name="fields">One value per format field.</param>
    public FieldValues(params object[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        _fields = fields;
    }

    /// <summary>The field at <paramref name="index"/>.</summary>
    public object this[int index] => _fields[index];

    object? ITuple.this[int index] => _fields[index];

    /// <summary>Number of fields.</summary>
    public int Length => _fields.Length;

    /// <summary>Number of fields.</summary>
    public int Count => _fields.Length;

    /// <summary>Enumerates the fields.</summary>
    public IEnumerator<object> GetEnumerator() => ((IEnumerable<object>)_fields).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _fields.GetEnumerator();

    /// <summary>Field-by-field equality.</summary>
    public bool Equals(FieldValues? other)
    {
        if (other is null || other._fields.Length != _fields.Length)
            return false;
        for (int i = 0; i < _fields.Length; i++)
        {
            if (!Equals(_fields[i], other._fields[i]))
                return false;
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FieldValues);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var f in _fields)
            hash.Add(f);
        return hash.ToHashCode();
    }

    /// <summary>Python-style text, e.g. <c>(12, 1.5)</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < _fields.Length; i++)
        {
            if (i > 0)
                sb.Append(", ");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{_fields[i]}");
        }
        return sb.Append(')').ToString();
    }
}
