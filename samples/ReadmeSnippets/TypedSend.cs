// README "From a record to the wire": a typed record sent over UDP. The statements sit in a method so that the
// README can show them as a program while timestamp and vis, which the reader supplies, are parameters here.
#region snippet: typed-send
using Spead2.Send;
using Spead2.Typed;
#endregion

internal static class TypedSendSnippet
{
    public static async Task RunAsync(ulong timestamp, float[] vis)
    {
        #region snippet: typed-send
        var writer = new HeapWriter<Dump>(descriptorFrequency: 100);   // descriptors first, then every 100 heaps
        var config = new StreamConfig { Rate = 1e9 / 8 };                     // 1 Gb/s: Rate is in bytes per second, as in spead2
        await using var stream = new UdpStream("127.0.0.1", 8888, config);
        await stream.SendAsync(writer, new Dump(timestamp, vis, "3C273")); // zero copy, no allocation per heap
        #endregion
    }
}

#region snippet: typed-send
public partial record Dump(
    [SpeadItem(0x1600, Description = "ADC sample count of the first sample", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x1800, Name = "vis", Description = "Visibilities", Shape = new[] { 1024, 2 })] float[] Vis,
    [SpeadItem(0x1801, Description = "Source name")] string Source);
#endregion
