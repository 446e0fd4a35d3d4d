namespace Spead2.Typed.Generators.Shared;

/// <summary>The item IDs the SPEAD protocol assigns a meaning to.</summary>
internal static class ReservedIds
{
    /// <summary>The protocol's name for a reserved ID, or null if the ID is free for user items.</summary>
    public static string? NameOf(long id) => id switch
    {
        0x00 => "NULL, padding",
        0x01 => "HEAP_CNT",
        0x02 => "HEAP_LENGTH",
        0x03 => "PAYLOAD_OFFSET",
        0x04 => "PAYLOAD_LENGTH",
        0x05 => "DESCRIPTOR",
        0x06 => "STREAM_CTRL",
        0x10 => "DESCRIPTOR_NAME",
        0x11 => "DESCRIPTOR_DESCRIPTION",
        0x12 => "DESCRIPTOR_SHAPE",
        0x13 => "DESCRIPTOR_FORMAT",
        0x14 => "DESCRIPTOR_ID",
        0x15 => "DESCRIPTOR_DTYPE",
        _ => null,
    };

    /// <summary>Largest ID of SPEAD-64-40 (23 item-ID bits), the default flavour.</summary>
    public const long Max6440 = (1L << 23) - 1;

    /// <summary>Largest ID of SPEAD-64-48 (15 item-ID bits).</summary>
    public const long Max6448 = (1L << 15) - 1;
}
