// README "Receiving": typed (each heap read as a Dump), then untyped as spead2's ItemGroup.update.
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
}
