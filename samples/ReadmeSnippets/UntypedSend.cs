// README "spead2's API, in .NET": spead2's send.ItemGroup, one item, one heap and the end-of-stream heap.
#region snippet: untyped-send
using Spead2.Protocol;
using Spead2.Send;
#endregion

internal static class UntypedSendSnippet
{
    public static async Task RunAsync()
    {
        #region snippet: untyped-send
        var ig = new SendItemGroup(flavour: new Flavour(heapAddressBits: 48)); // spead2.send.ItemGroup
        var item = ig.AddItem(0x1234, "foo", "a foo item", [40, 50], dtype: "<i4");
        item.Value = new int[40, 50];
        var config = new StreamConfig { Rate = 1e7 };                          // 10^7 bytes/s = 80 Mb/s (bytes per second, as in spead2)
        await using var stream = new UdpStream("127.0.0.1", 8888, config);
        await stream.SendHeapAsync(ig.GetHeap());
        await stream.SendHeapAsync(ig.GetEnd());
        #endregion
    }
}
