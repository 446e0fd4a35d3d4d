using System.Runtime.CompilerServices;
using Spead2.Send;

namespace Spead2.Typed;

/// <summary>
/// Sends typed values on any <see cref="SendStream"/> (UDP, TCP, bytes, in-process). Each send builds the heap in a
/// heap the writer keeps for reuse and gives it back once the stream has sent it, so that sending allocates
/// nothing per heap in steady state.
/// </summary>
public static class TypedSendExtensions
{
    /// <summary>
    /// Builds a heap from <paramref name="value"/> (with the descriptors due) and sends it. Several sends may be in
    /// flight at once (up to <see cref="StreamConfig.MaxHeaps"/>); call this method from one thread at a time, as the
    /// writer's descriptor tracking is not thread-safe.
    /// </summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream.</param>
    /// <param name="writer">Tracks descriptors and lends the heap; its flavour is the heap's.</param>
    /// <param name="value">The value; its arrays are referenced, so leave them unchanged until the task completes.</param>
    /// <param name="descriptors">Which descriptors to include.</param>
    /// <param name="cnt">The heap cnt, or -1 for the stream's next automatic cnt.</param>
    /// <param name="substreamIndex">The destination substream.</param>
    /// <param name="rate">Bytes per second for this heap; negative for the stream's rate.</param>
    /// <param name="cancellationToken">Cancels the heap if the stream has not started sending it.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="ArgumentException">A value does not fit its item (wrong array length, non-ASCII string, integer wider than its bits); nothing is sent.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<long> SendAsync<T>(this SendStream stream, HeapWriter<T> writer, T value,
        HeapContents descriptors = HeapContents.Stale, long cnt = -1, int substreamIndex = 0, double rate = -1,
        CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writer);
        var heap = writer.RentHeap();
        try
        {
            writer.AddToHeap(value, heap, descriptors);
            return await stream.SendHeapAsync(heap, cnt, substreamIndex, rate, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writer.ReturnHeap(heap);
        }
    }

    /// <summary>Builds a heap from <paramref name="value"/> and sends it, blocking until it has been sent.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream.</param>
    /// <param name="writer">Tracks descriptors and lends the heap.</param>
    /// <param name="value">The value.</param>
    /// <param name="descriptors">Which descriptors to include.</param>
    /// <param name="cnt">The heap cnt, or -1 for the stream's next automatic cnt.</param>
    /// <param name="substreamIndex">The destination substream.</param>
    /// <param name="rate">Bytes per second for this heap; negative for the stream's rate.</param>
    /// <returns>The number of bytes sent.</returns>
    /// <exception cref="ArgumentException">A value does not fit its item; nothing is sent.</exception>
    public static long Send<T>(this SendStream stream, HeapWriter<T> writer, in T value,
        HeapContents descriptors = HeapContents.Stale, long cnt = -1, int substreamIndex = 0, double rate = -1)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writer);
        var heap = writer.RentHeap();
        try
        {
            writer.AddToHeap(value, heap, descriptors);
            return stream.SendHeap(heap, cnt, substreamIndex, rate);
        }
        finally
        {
            writer.ReturnHeap(heap);
        }
    }

    /// <summary>Sends the stream-start heap of the writer's flavour.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream.</param>
    /// <param name="writer">Gives the flavour.</param>
    /// <param name="cancellationToken">Cancels the heap if not started.</param>
    /// <returns>The number of bytes sent.</returns>
    public static ValueTask<long> SendStartAsync<T>(this SendStream stream, HeapWriter<T> writer, CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writer);
        return stream.SendHeapAsync(writer.GetStart(), cancellationToken: cancellationToken);
    }

    /// <summary>Sends the stream-stop heap of the writer's flavour.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream.</param>
    /// <param name="writer">Gives the flavour.</param>
    /// <param name="cancellationToken">Cancels the heap if not started.</param>
    /// <returns>The number of bytes sent.</returns>
    public static ValueTask<long> SendEndAsync<T>(this SendStream stream, HeapWriter<T> writer, CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(writer);
        return stream.SendHeapAsync(writer.GetEnd(), cancellationToken: cancellationToken);
    }
}
