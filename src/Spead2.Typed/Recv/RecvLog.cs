using Microsoft.Extensions.Logging;

namespace Spead2.Recv;

/// <summary>
/// Log messages of the receive side (source-generated like the send side's: nothing is formatted or boxed when the
/// level is off). Category <c>Spead2.Recv.ReceiveStream</c>, from <see cref="ReceiveStreamConfig.LoggerFactory"/>.
/// </summary>
internal static partial class RecvLog
{
    [LoggerMessage(EventId = 1, EventName = "DroppedIncompleteHeap", Level = LogLevel.Warning,
        Message = "Dropped incomplete heap {Cnt} ({Received} of {Length} bytes received; {Reason})")]
    public static partial void DroppedIncompleteHeap(ILogger logger, long cnt, long received, long length, string reason);

    [LoggerMessage(EventId = 2, EventName = "ReaderFault", Level = LogLevel.Warning,
        Message = "Receive reader failed: {Message}")]
    public static partial void ReaderFault(ILogger logger, string message, Exception error);

    [LoggerMessage(EventId = 3, EventName = "SmallSocketBuffer", Level = LogLevel.Warning,
        Message = "Requested socket buffer size {Requested} but the OS granted only {Actual} bytes; datagrams arriving in bursts " +
            "may be dropped. Raise the limit with the sysctl net.core.rmem_max (e.g. sysctl -w net.core.rmem_max={Needed})")]
    public static partial void SmallSocketBuffer(ILogger logger, int requested, int actual, int needed);

    [LoggerMessage(EventId = 4, EventName = "HeapReadyFault", Level = LogLevel.Warning,
        Message = "The heapReady callback threw, so the stream stops: {Message}")]
    public static partial void HeapReadyFault(ILogger logger, string message, Exception error);
}
