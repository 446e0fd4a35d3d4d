using Microsoft.Extensions.Logging;

namespace Spead2.Send.Engine;

/// <summary>Log messages of the send side (source-generated: nothing is formatted or boxed when disabled).</summary>
internal static partial class SendLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Dropping heap because the send queue is full (MaxHeaps = {MaxHeaps}, group of {GroupSize})")]
    public static partial void QueueFull(ILogger logger, int maxHeaps, int groupSize);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Requested socket buffer size {Requested} but only received {Actual}: you may need to raise the OS limit (net.core.wmem_max on Linux)")]
    public static partial void BufferSizeClipped(ILogger logger, int requested, int actual);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Could not set the socket buffer size to {Requested}")]
    public static partial void BufferSizeFailed(ILogger logger, int requested, Exception error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "The send stream's writer failed; pending and later heaps fail")]
    public static partial void WriterFailed(ILogger logger, Exception error);
}
