using System.Runtime.InteropServices;

namespace Spead2.Send.Native;

/// <summary>
/// Keeps the small arrays a stream sends from pinned from one batch to the next, so that a sender that reuses its
/// buffers (the usual case) does not pin and unpin them for every batch: for single-packet heaps a GCHandle's
/// allocation and release were about 5 % of the sending CPU.
/// </summary>
/// <remarks>
/// At most <see cref="Capacity"/> arrays of up to <see cref="MaxArrayLength"/> bytes are held, so a sender that never
/// reuses its arrays keeps at most 1 MiB alive a little longer. An array used by the current batch is never released
/// (its packets point into it until the batch has been sent); when every entry is in use the caller pins for the
/// batch alone. Used by one writer at a time, like the batch it serves.
/// </remarks>
internal sealed class PinCache : IDisposable
{
    /// <summary>Largest array kept pinned.</summary>
    public const int MaxArrayLength = 64 * 1024;

    /// <summary>Most arrays kept pinned.</summary>
    public const int Capacity = 16;

    private readonly byte[]?[] _arrays = new byte[]?[Capacity];
    private readonly GCHandle[] _handles = new GCHandle[Capacity];
    private readonly nint[] _addresses = new nint[Capacity];
    private readonly long[] _lastBatch = new long[Capacity];
    private long _batch = 1;

    /// <summary>Number of arrays held pinned now.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// The address of <paramref name="array"/>'s first element, pinned at least until the current batch has been
    /// sent; 0 when it is too large, or when every entry is in use by the current batch.
    /// </summary>
    public nint Get(byte[] array)
    {
        if (array.Length > MaxArrayLength)
        {
            return 0;
        }
        int victim = -1;
        long oldest = _batch;
        for (int i = 0; i < Capacity; i++)
        {
            byte[]? held = _arrays[i];
            if (ReferenceEquals(held, array))
            {
                _lastBatch[i] = _batch;
                return _addresses[i];
            }
            if (held is null)
            {
                if (victim < 0 || _arrays[victim] is not null)
                {
                    victim = i;
                    oldest = 0;
                }
            }
            else if (_lastBatch[i] < oldest)
            {
                victim = i;
                oldest = _lastBatch[i];
            }
        }
        if (victim < 0)
        {
            return 0;
        }
        if (_arrays[victim] is not null)
        {
            _handles[victim].Free();
            Count--;
        }
        _handles[victim] = GCHandle.Alloc(array, GCHandleType.Pinned);
        _arrays[victim] = array;
        _addresses[victim] = _handles[victim].AddrOfPinnedObject();
        _lastBatch[victim] = _batch;
        Count++;
        return _addresses[victim];
    }

    /// <summary>The current batch has been sent: the arrays it used may be released from now on.</summary>
    public void EndBatch() => _batch++;

    /// <summary>Releases every pin.</summary>
    public void Dispose()
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (_arrays[i] is not null)
            {
                _handles[i].Free();
                _arrays[i] = null;
                _addresses[i] = 0;
            }
        }
        Count = 0;
    }
}
