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

    /// <summary>
    /// Like <see cref="ReadAllAsync{T}"/>, with the cnt of the heap each record was read from.
    /// </summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream (its readers added).</param>
    /// <param name="cancellationToken">Cancels the enumeration (not the stream).</param>
    /// <returns>The records and their heap cnts.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="InvalidDataException">The sender's schema differs from <typeparamref name="T"/> (see <see cref="ReadAllAsync{T}"/>).</exception>
    public static IAsyncEnumerable<ReceivedRecord<T>> ReadAllWithCntAsync<T>(this ReceiveStream stream, CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadAllWithCntCoreAsync(stream, new HeapReader<T>(), cancellationToken);
    }

    /// <summary>
    /// Like <see cref="ReadAllWithCntAsync{T}(ReceiveStream, CancellationToken)"/>, for a type with
    /// <see cref="SpeadDimension.RunTime"/> dimensions: the received descriptors must carry these shapes.
    /// </summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="stream">The stream (its readers added).</param>
    /// <param name="shapes">The full shape of each member with run-time dimensions, as for <see cref="HeapReader{T}(SpeadShapes)"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration (not the stream).</param>
    /// <returns>The records and their heap cnts.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="shapes"/> is null.</exception>
    /// <exception cref="ArgumentException">A run-time dimension is left unset or a shape does not fit its declaration.</exception>
    /// <exception cref="InvalidDataException">The sender's schema differs from <typeparamref name="T"/>.</exception>
    public static IAsyncEnumerable<ReceivedRecord<T>> ReadAllWithCntAsync<T>(this ReceiveStream stream, SpeadShapes shapes, CancellationToken cancellationToken = default)
        where T : ISpeadHeap<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shapes);
        return ReadAllWithCntCoreAsync(stream, new HeapReader<T>(shapes), cancellationToken);
    }

    /// <summary>
    /// Enumerates the records of a stream that carries several record types: each heap with values is read as the
    /// type of <paramref name="dispatcher"/> whose items it carries (see <see cref="HeapDispatcher"/>), with its heap
    /// cnt. Heaps that match no type, descriptor-only, start and stop heaps are skipped (and counted by the
    /// dispatcher), every heap is disposed, and the enumeration ends with the stream.
    /// </summary>
    /// <param name="stream">The stream (its readers added).</param>
    /// <param name="dispatcher">The record types to read (<see cref="HeapDispatcher.Add{T}()"/>).</param>
    /// <param name="cancellationToken">Cancels the enumeration (not the stream).</param>
    /// <returns>The records with their heap cnts, in the order the heaps completed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="dispatcher"/> is null.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="dispatcher"/> has no record types.</exception>
    /// <exception cref="InvalidDataException">
    /// A heap matches a type whose descriptor differs from its declaration, or two types match a heap equally well.
    /// </exception>
    /// <example>
    /// <code>
    /// var dispatcher = new HeapDispatcher().Add&lt;XengDump&gt;().Add&lt;BeamHeap&gt;();
    /// await foreach (var (record, cnt) in stream.ReadAllAsync(dispatcher))
    ///     switch (record)
    ///     {
    ///         case XengDump x: Console.WriteLine($"heap {cnt}: dump at {x.Timestamp}"); break;
    ///         case BeamHeap b: Console.WriteLine($"heap {cnt}: beam of {b.BeamAnts} antennas"); break;
    ///     }
    /// </code>
    /// </example>
    public static IAsyncEnumerable<ReceivedRecord> ReadAllAsync(this ReceiveStream stream, HeapDispatcher dispatcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(dispatcher);
        if (dispatcher.RecordTypes.Count == 0)
        {
            throw new InvalidOperationException("The dispatcher has no record types: add them with Add<T>() before reading.");
        }

        return ReadAllDispatchedCoreAsync(stream, dispatcher, cancellationToken);
    }

    private static async IAsyncEnumerable<ReceivedRecord> ReadAllDispatchedCoreAsync(ReceiveStream stream, HeapDispatcher dispatcher,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is { } heap)
        {
            ReceivedRecord record;
            bool hasValue;
            using (heap)
                hasValue = dispatcher.TryRead(heap, out record);
            if (hasValue)
                yield return record;
        }
    }

    private static async IAsyncEnumerable<ReceivedRecord<T>> ReadAllWithCntCoreAsync<T>(ReceiveStream stream, HeapReader<T> reader,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : ISpeadHeap<T>
    {
        while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is { } heap)
        {
            T? value;
            bool hasValue;
            long cnt = heap.Cnt;
            using (heap)
                hasValue = reader.TryRead(heap, out value);
            if (hasValue)
                yield return new ReceivedRecord<T>(value!, cnt);
        }
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
