using Spead2.Protocol;

namespace Spead2.Recv;

/// <summary>
/// Decodes the DESCRIPTOR items of a heap as spead2 does: each item's bytes go through the packet
/// decoder and a one-slot assembler as an in-memory stream, and every contiguous heap that comes
/// out is read as a descriptor.
/// </summary>
internal static class DescriptorDecoder
{
    public static IReadOnlyList<RawDescriptor> Decode(ReceivedHeap heap)
    {
        List<RawDescriptor>? result = null;
        List<ReceivedHeap>? nested = null;
        HeapAssembler? assembler = null;
        foreach (ref readonly var item in heap.ItemSpan)
        {
            if (item.Id != ItemIds.Descriptor)
                continue;
            assembler ??= new HeapAssembler(new ReceiveStreamConfig { MaxHeaps = 1, BugCompat = heap.Flavour.BugCompat });
            nested ??= [];
            var bytes = item.Span;
            int offset = 0;
            while (offset < bytes.Length && !assembler.IsStopped)
            {
                if (PacketDecoder.Decode(bytes.Slice(offset), out var header) != PacketStatus.Ok)
                    break;
                assembler.Add(bytes.Slice(offset, header.Size), header, nested);
                offset += header.Size;
            }
            assembler.Flush(nested);
            foreach (var descriptorHeap in nested)
            {
                using (descriptorHeap)
                {
                    if (ToRaw(descriptorHeap) is { } raw)
                        (result ??= []).Add(raw);
                }
            }
            nested.Clear();
        }
        return result ?? (IReadOnlyList<RawDescriptor>)[];
    }

    private static RawDescriptor? ToRaw(ReceivedHeap heap)
    {
        int immediateSize = heap.HeapAddressBits / 8;
        int idSize = 8 - immediateSize;
        var bugCompat = heap.Flavour.BugCompat;
        bool fixedWidths = (bugCompat & BugCompat.DescriptorWidths) != 0;
        int formatRecord = fixedWidths ? 4 : 1 + idSize;
        int shapeRecord = fixedWidths ? 8 : 1 + immediateSize;
        byte variableMask = (bugCompat & BugCompat.ShapeBit1) != 0 ? (byte)2 : (byte)1;

        long id = 0;
        byte[] name = [], description = [], numpyHeader = [];
        var shape = new List<long>();
        var format = new List<(char, long)>();
        foreach (ref readonly var item in heap.ItemSpan)
        {
            var v = item.Span;
            switch (item.Id)
            {
                case ItemIds.DescriptorId:
                    // spead2 ignores an addressed ID.
                    if (item.IsImmediate)
                        id = ReceivedHeap.ReadBigEndian(v);
                    break;
                case ItemIds.DescriptorName:
                    name = v.ToArray();
                    break;
                case ItemIds.DescriptorDescription:
                    description = v.ToArray();
                    break;
                case ItemIds.DescriptorFormat:
                    // Records that do not fit whole are dropped, as spead2 does.
                    for (int i = 0; i + formatRecord <= v.Length; i += formatRecord)
                        format.Add(((char)v[i], ReceivedHeap.ReadBigEndian(v.Slice(i + 1, formatRecord - 1))));
                    break;
                case ItemIds.DescriptorShape:
                    for (int i = 0; i + shapeRecord <= v.Length; i += shapeRecord)
                    {
                        bool variable = (v[i] & variableMask) != 0;
                        shape.Add(variable ? Descriptor.VariableDimension : ReceivedHeap.ReadBigEndian(v.Slice(i + 1, shapeRecord - 1)));
                    }
                    break;
                case ItemIds.DescriptorDtype:
                    numpyHeader = v.ToArray();
                    break;
            }
        }
        if (id == 0)
            return null;    // spead2: "incomplete descriptor (no ID)"
        if (numpyHeader.Length > 0)
        {
            // The numpy header overrides shape and format.
            shape.Clear();
            format.Clear();
        }
        return new RawDescriptor(id, name, description, [.. shape], [.. format], numpyHeader);
    }
}
