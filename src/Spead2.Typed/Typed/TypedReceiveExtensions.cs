using System.Runtime.CompilerServices;
using Spead2.Recv;

namespace Spead2.Typed;

/// <summary>Receiving <see cref="ISpeadHeap{TSelf}"/> records from a <see cref="ReceiveStream"/>.</summary>
public static class TypedReceiveExtensions
{
    /// <summary>
    /// Enumerates the records a stream carries: one per heap with item values, read straight from the heap's
    /// bytes under the descriptors the sender sent (see <see cref="HeapReader{T}"/>). Heaps with descriptors
    /// only, start and stop heaps are skipped, every heap is disposed, and the enumeration ends with the stream.
    /// </summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream (its readers added).</param>
    /// <param name="cancellationToken">Cancels the enumeration (not the stream).</param>
    /// <returns>The records.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="InvalidDataException">
    /// The sender's schema differs from <typeparamref name="T"/> (a missing item, or a descriptor with another
    /// name, shape, format or dtype); the message names the member, the item and what differs.
    /// </exception>
    /// <example>
    /// <code>
    /// await using var stream = new ReceiveStream();
    /// stream.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 8888));
    /// await foreach (var dump in stream.ReadAllAsync&lt;Dump&gt;())
    ///     Console.WriteLine($"{dump.Timestamp}: {dump.Source}");
    /// </code>
    /// </example>
    public static IAsyncEnumerable<T> ReadAllAsync<T>(this ReceiveStream stream, CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        // Checked here, not on the first MoveNextAsync.
        ArgumentNullException.ThrowIfNull(stream);
        return ReadAllCoreAsync<T>(stream, cancellationToken);
    }

    private static async IAsyncEnumerable<T> ReadAllCoreAsync<T>(ReceiveStream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : ISpeadHeap<T>
    {
        var reader = new HeapReader<T>();
        while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is { } heap)
        {
            T? value;
            bool hasValue;
            using (heap)
                hasValue = reader.TryRead(heap, out value);
            if (hasValue)
                yield return value!;
        }
    }
}
