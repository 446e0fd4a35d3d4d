using Microsoft.CodeAnalysis;

namespace Spead2.Typed.Analyzers;

/// <summary>Every rule of Spead2.Typed in one place; each has a page under docs/diagnostics/.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Spead2.Typed";

    /// <summary>
    /// Where the rule pages are read: the package's repository (RepositoryUrl in Spead2.Typed.csproj). An IDE opens
    /// the help link from a user's project, far from this repository, so it must be absolute; DocumentationTests
    /// checks that it starts with the RepositoryUrl and that the page exists.
    /// </summary>
    internal const string HelpLinkBase = "https://github.com/spead2-typed/spead2-typed/blob/main/docs/diagnostics/";

    private static DiagnosticDescriptor Rule(string id, string title, string message, DiagnosticSeverity severity, string description) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, description: description,
            helpLinkUri: HelpLinkBase + id + ".md");

    public static readonly DiagnosticDescriptor TypeNotPartial = Rule(DiagnosticIds.TypeNotPartial,
        "A type with [SpeadItem] members must be partial",
        "'{0}' has [SpeadItem] members but '{1}' is not partial, so no SPEAD code can be generated for it",
        DiagnosticSeverity.Error,
        "The generator adds the ISpeadHeap implementation as another part of the record, which needs the record and every type containing it to be declared partial.");

    public static readonly DiagnosticDescriptor TypeNotRecord = Rule(DiagnosticIds.TypeNotRecord,
        "[SpeadItem] members must belong to a record",
        "'{0}' has [SpeadItem] members but is not a record; declare it as a 'partial record' or 'partial record struct'",
        DiagnosticSeverity.Error,
        "Only records (class or struct) get generated SPEAD code: their values are immutable snapshots, which is what a heap is.");

    public static readonly DiagnosticDescriptor DuplicateId = Rule(DiagnosticIds.DuplicateId,
        "Duplicate SPEAD item ID",
        "Item ID 0x{0:X} of '{1}' is already used by '{2}'",
        DiagnosticSeverity.Error,
        "A receiver keeps one item per ID: the second would overwrite the first.");

    public static readonly DiagnosticDescriptor DuplicateName = Rule(DiagnosticIds.DuplicateName,
        "Duplicate SPEAD item name",
        "Item name '{0}' of '{1}' is already used by '{2}'",
        DiagnosticSeverity.Error,
        "spead2's item group looks items up by name as well as by ID; two items with one name replace each other on the receiver.");

    public static readonly DiagnosticDescriptor ReservedId = Rule(DiagnosticIds.ReservedId,
        "SPEAD item ID is reserved by the protocol",
        "Item ID 0x{0:X} of '{1}' is reserved by the SPEAD protocol ({2}); use an ID from 0x1000 up",
        DiagnosticSeverity.Error,
        "IDs 0x00-0x06 and 0x10-0x15 carry the heap counter, lengths, descriptors and stream control; receivers drop or reinterpret user items with them.");

    public static readonly DiagnosticDescriptor IdOutOfRange = Rule(DiagnosticIds.IdOutOfRange,
        "SPEAD item ID does not fit the item-ID bits",
        "Item ID {0} of '{1}' is out of range: it must be from 0x1 to 0x7FFFFF to fit the 23 item-ID bits of SPEAD-64-40",
        DiagnosticSeverity.Error,
        "An item pointer holds the ID in 63 - heap address bits: 23 bits in SPEAD-64-40 (the default flavour), 15 in SPEAD-64-48. spead2 refuses to describe a larger ID.");

    public static readonly DiagnosticDescriptor IdTooLargeFor6448 = Rule(DiagnosticIds.IdTooLargeFor6448,
        "SPEAD item ID does not fit SPEAD-64-48",
        "Item ID 0x{0:X} of '{1}' needs more than the 15 item-ID bits of SPEAD-64-48; it can only be sent with SPEAD-64-40",
        DiagnosticSeverity.Warning,
        "SPEAD-64-48 leaves 15 bits for item IDs (up to 0x7FFF). Sending this record with that flavour will fail at run time.");

    public static readonly DiagnosticDescriptor UnsupportedType = Rule(DiagnosticIds.UnsupportedType,
        "Unsupported [SpeadItem] member type",
        "'{0}' has type '{1}', which cannot be a SPEAD item; use bool, an integer type or enum, float, double, Half, Complex, string, or an array, Memory<T> or ReadOnlyMemory<T> of the non-string ones",
        DiagnosticSeverity.Error,
        "The generator maps a fixed set of types to SPEAD formats and numpy dtypes; any other type has no encoding a spead2 receiver would decode.");

    public static readonly DiagnosticDescriptor InvalidShape = Rule(DiagnosticIds.InvalidShape,
        "Invalid [SpeadItem] Shape",
        "The Shape of '{0}' is invalid: {1}",
        DiagnosticSeverity.Error,
        "Scalars take no Shape; Half and Complex arrays and rectangular arrays need one (numpy dtypes cannot vary); strings have rank 1; a rectangular array's rank is its Shape's; at most one dimension may be -1 (variable), -2 marks a run-time dimension, no other may be negative.");

    public static readonly DiagnosticDescriptor InvalidBits = Rule(DiagnosticIds.InvalidBits,
        "Invalid [SpeadItem] Bits",
        "Bits = {0} does not fit '{1}' of type '{2}': {3}",
        DiagnosticSeverity.Error,
        "Bits narrows an integer or enum scalar to a smaller format field (1 to the width of the type), or packs the elements of a byte or sbyte array into 1 to 7 bits each.");

    public static readonly DiagnosticDescriptor NonAsciiText = Rule(DiagnosticIds.NonAsciiText,
        "SPEAD item name or description is not ASCII",
        "The {0} of '{1}' contains non-ASCII characters; SPEAD descriptors carry ASCII text only",
        DiagnosticSeverity.Error,
        "spead2 encodes names and descriptions with the ASCII codec and rejects anything else.");

    public static readonly DiagnosticDescriptor UntypedReservedId = Rule(DiagnosticIds.UntypedReservedId,
        "Untyped item uses a reserved SPEAD ID",
        "'{0}' is called with item ID 0x{1:X}, which the SPEAD protocol reserves ({2})",
        DiagnosticSeverity.Warning,
        "Heap.AddItem, AddItemCopy, AddItemStorage, AddImmediate, ItemGroup.AddItem and the Item and Descriptor constructors accept any ID, but a receiver treats the reserved ones specially. Use AddStart/AddEnd/AddDescriptor for control items.");

    public static readonly DiagnosticDescriptor MisplacedAttribute = Rule(DiagnosticIds.MisplacedAttribute,
        "[SpeadItem] is on a member that cannot be sent",
        "[SpeadItem] on '{0}' is ignored: {1}",
        DiagnosticSeverity.Error,
        "[SpeadItem] belongs on a record's positional parameters or on its readable instance properties; elsewhere there is no value to read per heap.");

    public static readonly DiagnosticDescriptor InheritedItems = Rule(DiagnosticIds.InheritedItems,
        "[SpeadItem] records cannot derive from another [SpeadItem] record",
        "'{0}' has [SpeadItem] members and derives from '{1}', which has some too; declare all the items in one record",
        DiagnosticSeverity.Error,
        "Item schemas are not inherited: the derived record's generated members would hide the base's, and its heaps would lack the base's items.");

    public static readonly DiagnosticDescriptor InvalidOrder = Rule(DiagnosticIds.InvalidOrder,
        "Invalid [SpeadItem] ByteOrder or Order",
        "{0} on '{1}' is invalid: {2}",
        DiagnosticSeverity.Error,
        "ByteOrder picks the byte order of a numpy dtype; Order = Fortran picks column-major memory order, which only a rectangular array member can express unambiguously.");

    public static readonly DiagnosticDescriptor PropertyWithoutSetter = Rule(DiagnosticIds.PropertyWithoutSetter,
        "[SpeadItem] property cannot be set when the record is received",
        "[SpeadItem] property '{0}' has no set or init accessor: '{1}' can be sent but every receive of it fails",
        DiagnosticSeverity.Warning,
        "Generated TryRead builds a value with the primary constructor and an object initializer; a get-only property item cannot be given its received value.");

    public static readonly DiagnosticDescriptor UnreadableRecordRead = Rule(DiagnosticIds.UnreadableRecordRead,
        "A record that cannot be built from its items is read",
        "'{0}' is read here, but it cannot be built from received items: {1}",
        DiagnosticSeverity.Error,
        "Generated TryRead calls the primary constructor with the item values; a positional parameter that is not an item (or another required member) has no value to give, so every heap would fail to read.");

    public static readonly DiagnosticDescriptor GeneratedMemberClash = Rule(DiagnosticIds.GeneratedMemberClash,
        "Member name clashes with a generated SPEAD member",
        "'{0}' declares '{1}', which the SPEAD generator also declares for ISpeadHeap<{0}>; rename it",
        DiagnosticSeverity.Error,
        "The generator adds Layout, Descriptors, AddItems, AddItem, TryRead, TryReadInto and __spead-prefixed members to the record; a member of the same name would make the generated part fail to compile, so nothing is generated.");
}
