// README "Receiving": typed (each heap read as a Dump), then untyped as spead2's ItemGroup.update, then heaps handed
// to a callback on the reader's thread (spead2's heap_ready).
#region snippet: typed-receive
using System.Net;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Typed;
#endregion

internal static class ReceiveSnippets
{
    public static async Task TypedAsync()
    {
        #region snippet: typed-receive
        await using var rx = new ReceiveStream();
        rx.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 8888));
        await foreach (Dump dump in rx.ReadAllAsync<Dump>())   // ends at the sender's end-of-stream heap
            Console.WriteLine($"{dump.Timestamp}: {dump.Vis.Length} visibilities from {dump.Source}");
        #endregion
    }

    public static async Task UntypedAsync(ReceiveStream rx)
    {
        #region snippet: untyped-receive
        var items = new ItemGroup();
        await foreach (var heap in rx)
        {
            using (heap)
                items.Update(heap);                    // descriptors, then values
            Console.WriteLine(items["timestamp"].Value);
        }
        #endregion
    }

    public static async Task<long> HeapReadyAsync()
    {
        #region snippet: heap-ready
        long heaps = 0;
        await using var counted = new ReceiveStream(new ReceiveStreamConfig { HeapReady = heap => { using (heap) heaps++; } });
        counted.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 8889));
        await counted.Completion;                      // the stream stopped and every heap went to the callback
        #endregion
        return heaps;
    }
}
