using System.Globalization;
using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Parses the numpy header of a descriptor: a Python dict literal with exactly the keys
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c> (spead2 accepts any literal with those
/// keys; it sends Python's repr). Only simple dtypes are supported (no structured descr lists).
/// </summary>
internal static class NumpyHeaderParser
{
    public readonly record struct Result(DType Dtype, ArrayOrder Order, long[] Shape);

    /// <exception cref="InvalidDataException">The text is not such a dict, or the dtype is not supported.</exception>
    public static Result Parse(string text)
    {
        var p = new Parser(text);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (!p.TryConsume('}'))
        {
            string key = p.ReadString();
            p.Expect(':');
            switch (key)
            {
                case "descr":
                    if (p.Peek() == '[')
                        throw Error(text, "structured dtypes are not supported");
                    descr = p.ReadString();
                    break;
                case "fortran_order":
                    fortran = p.ReadBool();
                    break;
                case "shape":
                    shape = p.ReadShape();
                    break;
                default:
                    throw Error(text, $"unexpected key '{key}'");
            }
            if (!p.TryConsume(','))
            {
                p.Expect('}');
                break;
            }
        }
        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
            throw Error(text, "the keys must be exactly 'descr', 'fortran_order' and 'shape'");
        DType dtype;
        try
        {
            dtype = DType.Parse(descr);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Numpy header {text}: {e.Message}", e);
        }
        return new Result(dtype, fortran.Value ? ArrayOrder.Fortran : ArrayOrder.C, shape);
    }

    private static InvalidDataException Error(string text, string message) =>
        new($"Numpy header {text} is not valid: {message}.");

    private ref struct Parser(string text)
    {
        private readonly string _text = text;
        private int _pos;

        public char Peek()
        {
            SkipSpace();
            return _pos < _text.Length ? _text[_pos] : '\0';
        }

        public bool TryConsume(char c)
        {
            if (Peek() != c)
                return false;
            _pos++;
            return true;
        }

        public void Expect(char c)
        {
            if (!TryConsume(c))
                throw Error(_text, $"expected '{c}' at position {_pos}");
        }

        public void ExpectEnd()
        {
            if (Peek() != '\0' || _pos != _text.Length)
                throw Error(_text, $"unexpected text at position {_pos}");
        }

        public string ReadString()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"'))
                throw Error(_text, $"expected a string at position {_pos}");
            int start = ++_pos;
            int end = _text.IndexOf(quote, start);
            if (end < 0)
                throw Error(_text, "unterminated string");
            string s = _text[start..end];
            if (s.Contains('\\'))
                throw Error(_text, "escape sequences are not supported");
            _pos = end + 1;
            return s;
        }

        public bool ReadBool()
        {
            SkipSpace();
            if (Matches("True"))
                return true;
            if (Matches("False"))
                return false;
            throw Error(_text, $"expected True or False at position {_pos}");
        }

        public long[] ReadShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (!TryConsume(')'))
            {
                dims.Add(ReadNonNegativeInteger());
                if (!TryConsume(','))
                {
                    Expect(')');
                    break;
                }
            }
            return [.. dims];
        }

        private long ReadNonNegativeInteger()
        {
            SkipSpace();
            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
                _pos++;
            if (!long.TryParse(_text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw Error(_text, $"expected a non-negative integer at position {start}");
            return value;
        }

        private bool Matches(string word)
        {
            if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
                return false;
            int after = _pos + word.Length;
            if (after < _text.Length && (char.IsAsciiLetterOrDigit(_text[after]) || _text[after] == '_'))
                return false;
            _pos = after;
            return true;
        }

        private void SkipSpace()
        {
            while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
                _pos++;
        }
    }
}
