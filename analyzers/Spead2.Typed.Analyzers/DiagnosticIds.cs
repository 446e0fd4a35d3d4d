namespace Spead2.Typed.Analyzers;

/// <summary>The stable rule IDs; also compiled into the code-fix assembly.</summary>
internal static class DiagnosticIds
{
    public const string TypeNotPartial = "SPEAD0001";
    public const string TypeNotRecord = "SPEAD0002";
    public const string DuplicateId = "SPEAD0003";
    public const string DuplicateName = "SPEAD0004";
    public const string ReservedId = "SPEAD0005";
    public const string IdOutOfRange = "SPEAD0006";
    public const string IdTooLargeFor6448 = "SPEAD0007";
    public const string UnsupportedType = "SPEAD0008";
    public const string InvalidShape = "SPEAD0009";
    public const string InvalidBits = "SPEAD0010";
    public const string NonAsciiText = "SPEAD0011";
    public const string UntypedReservedId = "SPEAD0012";
    public const string MisplacedAttribute = "SPEAD0013";
    public const string InheritedItems = "SPEAD0014";
    public const string InvalidOrder = "SPEAD0015";
    public const string PropertyWithoutSetter = "SPEAD0016";
    public const string UnreadableRecordRead = "SPEAD0017";
    public const string GeneratedMemberClash = "SPEAD0018";
}
