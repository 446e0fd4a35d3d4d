namespace Spead2.Typed.Generators;

/// <summary>Names of the pipeline steps, so tests can check that each one stays cached.</summary>
internal static class TrackingNames
{
    /// <summary>One model per <c>[SpeadItem]</c> member (the same type repeats for each of its members).</summary>
    public const string MemberModels = nameof(MemberModels);
    /// <summary>Models with the nulls (skipped types) removed.</summary>
    public const string ValidModels = nameof(ValidModels);
    /// <summary>Models of records found through <c>[property: SpeadItem]</c> on positional parameters.</summary>
    public const string PropertyTargetedModels = nameof(PropertyTargetedModels);
    /// <summary>All models gathered to remove the repeats.</summary>
    public const string Collected = nameof(Collected);
    /// <summary>One model per type, the input of the emitter.</summary>
    public const string TypeModels = nameof(TypeModels);
}
