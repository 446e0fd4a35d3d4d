using System.Buffers;

namespace Spead2.Tests.Support;

/// <summary>
/// Memory that is not an array as far as <c>MemoryMarshal.TryGetArray</c> can tell (like native or pooled memory),
/// so the heap takes its <see cref="MemoryManager{T}"/> path.
/// </summary>
internal sealed class ArrayMemoryManager(byte[] data) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => data;

    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("not needed by the heap");

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
