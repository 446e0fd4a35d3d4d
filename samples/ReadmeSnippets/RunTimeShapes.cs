// README "Shapes known only at start-up": a record whose dimensions are chosen when the stream starts.
using Spead2.Typed;

#region snippet: run-time-shapes
public partial record struct XengDump(
    [SpeadItem(0x1600, Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Bits = 48)] ulong Frequency,
    [SpeadItem(0x1800, Shape = new[] { SpeadDimension.RunTime, SpeadDimension.RunTime, 2 },
        ByteOrder = SpeadByteOrder.LittleEndian)] int[] XengRaw);             // "<i4" on any host
#endregion

internal static class RunTimeShapesSnippet
{
    public static (HeapWriter<XengDump> Generator, HeapReader<XengDump> Reader) Create(int channels, int substreams, int ants)
    {
        #region snippet: run-time-shapes
        var shapes = new SpeadShapes { { nameof(XengDump.XengRaw), channels / substreams, 2 * ants * (ants + 1), 2 } };
        var writer = new HeapWriter<XengDump>(shapes);   // an unset or ill-fitting shape throws here, naming XengDump.XengRaw
        var reader = new HeapReader<XengDump>(shapes);         // reader.TryReadInto(heap, ref dump) refills dump.XengRaw: 0 B per heap
        #endregion
        return (writer, reader);
    }
}
