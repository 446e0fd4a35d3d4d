namespace Spead2.Send;

/// <summary>
/// A heap (or group) was dropped because the stream already had <see cref="StreamConfig.MaxHeaps"/> heaps queued or
/// in flight. Nothing of it was sent, the automatic cnt sequence did not advance, and no other heap is affected.
/// </summary>
/// <remarks>spead2 reports this as <c>EAGAIN</c> ("dropping heap because queue is full"); the HResult here is
/// the same errno value.</remarks>
public sealed class QueueFullException : IOException
{
    private const int EAgain = 11;

    /// <summary>Creates the exception with a default message.</summary>
    public QueueFullException()
        : this("Dropping heap because the send queue is full.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public QueueFullException(string message)
        : base(message, EAgain)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and an inner exception.</summary>
    public QueueFullException(string message, Exception? innerException)
        : base(message, innerException)
    {
        HResult = EAgain;
    }

    internal static QueueFullException ForStream(int maxHeaps, int groupSize) => new(groupSize > maxHeaps
        ? $"Dropping heaps because the send queue is full: a group of {groupSize} heaps can never fit in MaxHeaps = {maxHeaps}."
        : $"Dropping heap because the send queue is full (MaxHeaps = {maxHeaps} heaps already queued or in flight).");
}
