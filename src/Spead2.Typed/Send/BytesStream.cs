using Microsoft.Extensions.Logging;
using Spead2.Send.Engine;

namespace Spead2.Send;

/// <summary>
/// A stream that collects its packets in memory, concatenated with nothing in between (the format of a TCP SPEAD
/// stream, which spead2's <c>add_buffer_reader</c> reads back), as spead2's <c>BytesStream</c> does.
/// </summary>
/// <remarks>It has one substream. Like every stream it honours <see cref="StreamConfig.Rate"/>.</remarks>
public sealed class BytesStream : SendStream
{
    private readonly BytesTransport _bytes;

    /// <summary>Creates an empty stream.</summary>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    public BytesStream(StreamConfig? config = null)
        : this(new BytesTransport(), config, null)
    {
    }

    /// <summary>Creates an empty stream with a clock for pacing.</summary>
    /// <param name="config">Stream configuration; spead2's defaults when null.</param>
    /// <param name="timeProvider">Clock for the rate limiter; the system clock when null.</param>
    public BytesStream(StreamConfig? config, TimeProvider? timeProvider)
        : this(new BytesTransport(), config, timeProvider)
    {
    }

    private BytesStream(BytesTransport transport, StreamConfig? config, TimeProvider? timeProvider)
        : base(transport, config, timeProvider)
    {
        _bytes = transport;
    }

    /// <summary>Number of bytes collected so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>A copy of everything sent so far.</summary>
    public byte[] GetValue() => _bytes.ToArray();

    /// <summary>Appends every packet to one growing buffer.</summary>
    private sealed class BytesTransport : CopyingTransport
    {
        private readonly object _lock = new();
        private byte[] _data = new byte[4096];
        private int _length;

        public BytesTransport()
            : base(1)
        {
        }

        public long Length
        {
            get
            {
                lock (_lock)
                {
                    return _length;
                }
            }
        }

        public byte[] ToArray()
        {
            lock (_lock)
            {
                return _data.AsSpan(0, _length).ToArray();
            }
        }

        protected override void Send(ReadOnlySpan<byte> buffer, ReadOnlySpan<PacketSpan> packets, Span<Exception?> errors)
        {
            // The batch's packets lie back to back in the buffer, which is exactly the byte-stream format.
            int total = 0;
            foreach (PacketSpan p in packets)
            {
                total += p.Length;
            }
            ReadOnlySpan<byte> bytes = buffer.Slice(packets[0].Offset, total);
            lock (_lock)
            {
                if ((long)_length + total > Array.MaxLength)
                {
                    var error = new IOException($"The bytes stream is full: it cannot hold more than {Array.MaxLength} bytes.");
                    errors.Fill(error);
                    return;
                }
                if (_length + total > _data.Length)
                {
                    int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_data.Length * 2, (long)_length + total));
                    Array.Resize(ref _data, size);
                }
                bytes.CopyTo(_data.AsSpan(_length));
                _length += total;
            }
        }
    }
}
