namespace Spead2.Protocol;

/// <summary>Item IDs the SPEAD protocol reserves, with spead2's meanings.</summary>
public static class ItemIds
{
    /// <summary>Padding; an addressed NULL pointer marks where the preceding addressed item ends.</summary>
    public const long Null = 0x00;

    /// <summary>The heap counter that identifies a heap (immediate, in every packet).</summary>
    public const long HeapCnt = 0x01;

    /// <summary>Total heap payload size in bytes (immediate, in every packet).</summary>
    public const long HeapLength = 0x02;

    /// <summary>Offset of a packet's payload within the heap (immediate, in every packet).</summary>
    public const long PayloadOffset = 0x03;

    /// <summary>Payload bytes in a packet (immediate, in every packet).</summary>
    public const long PayloadLength = 0x04;

    /// <summary>An item descriptor, whose value is a nested SPEAD packet.</summary>
    public const long Descriptor = 0x05;

    /// <summary>Stream control (see <see cref="StreamControl"/>).</summary>
    public const long StreamCtrl = 0x06;

    /// <summary>Inside a descriptor: the item name.</summary>
    public const long DescriptorName = 0x10;

    /// <summary>Inside a descriptor: the item description.</summary>
    public const long DescriptorDescription = 0x11;

    /// <summary>Inside a descriptor: the shape records.</summary>
    public const long DescriptorShape = 0x12;

    /// <summary>Inside a descriptor: the legacy format records.</summary>
    public const long DescriptorFormat = 0x13;

    /// <summary>Inside a descriptor: the ID of the described item (immediate).</summary>
    public const long DescriptorId = 0x14;

    /// <summary>Inside a descriptor: the numpy header string.</summary>
    public const long DescriptorDtype = 0x15;

    /// <summary>The first ID spead2 allocates automatically; IDs below it are best left to the protocol.</summary>
    public const long FirstUnreserved = 0x1000;

    /// <summary>Whether <paramref name="id"/> is one the protocol reserves for itself (below 0x400, the spec's first user ID, and used or reserved by spead2).</summary>
    public static bool IsReserved(long id) => id >= 0 && id <= DescriptorDtype;
}

/// <summary>Values of the <see cref="ItemIds.StreamCtrl"/> item.</summary>
public enum StreamControl
{
    /// <summary>Start of stream (no effect on spead2's receiver).</summary>
    Start = 0,

    /// <summary>Descriptor reissue (defined by the spec; spead2 neither sends nor interprets it).</summary>
    DescriptorReissue = 1,

    /// <summary>End of stream: a spead2 receiver stops on it.</summary>
    Stop = 2,

    /// <summary>Descriptor update (defined by the spec; spead2 neither sends nor interprets it).</summary>
    DescriptorUpdate = 3,
}
