using Spead2.Typed.Generators.Shared;

namespace Spead2.Typed.Generators.Model;

// Models are immutable and compare by value (records of strings, numbers, bools and EquatableArray):
// if one held a symbol, syntax node or compilation, every edit would look like a change and
// incremental caching would break.

/// <summary>A type enclosing the record, re-declared as <c>partial</c> around the generated part.</summary>
/// <param name="Keyword">Declaration keyword(s): <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c>, <c>interface</c>.</param>
/// <param name="Name">Name with its type parameter list, e.g. <c>Outer&lt;T&gt;</c>.</param>
internal sealed record ContainingTypeModel(string Keyword, string Name);

/// <summary>One record that gets an <c>ISpeadHeap&lt;TSelf&gt;</c> implementation.</summary>
/// <param name="Namespace">Containing namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Outermost first.</param>
/// <param name="Keyword"><c>record</c> or <c>record struct</c> (with <c>readonly</c> kept off: it is not needed on a partial part).</param>
/// <param name="Name">Name with its type parameter list.</param>
/// <param name="FullyQualifiedName"><c>global::</c>-qualified name used as <c>TSelf</c>.</param>
/// <param name="HintName">Unique, file-system-safe hint name, e.g. <c>Ns.Outer_T.Dump.Spead.g.cs</c>.</param>
/// <param name="Items">The items in send order.</param>
/// <param name="ReadProblem">
/// Why generated <c>TryRead</c> cannot build a value (e.g. a positional parameter that is not an item, a
/// property item without a setter), or empty when it can: positional items go to the primary constructor,
/// property items into an object initializer.
/// </param>
internal sealed record SpeadTypeModel(
    string Namespace,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    string Keyword,
    string Name,
    string FullyQualifiedName,
    string HintName,
    EquatableArray<SpeadItemModel> Items,
    string ReadProblem);

/// <summary>One item: where its value comes from and how it is described and encoded.</summary>
/// <param name="MemberName">The property to read, escaped if it is a keyword.</param>
/// <param name="Id">SPEAD item ID.</param>
/// <param name="Name">Item name sent in the descriptor.</param>
/// <param name="Description">Item description sent in the descriptor.</param>
/// <param name="Shape">Descriptor shape, -1 for the variable dimension.</param>
/// <param name="Encoding">The encoding decided by <see cref="SpeadItemPlan"/>.</param>
/// <param name="Code">Format code or dtype kind letter.</param>
/// <param name="Bits">Format width in bits, or dtype item size in bytes.</param>
/// <param name="FixedElements">Product of the fixed dimensions, checked against the value at run time.</param>
/// <param name="ElementType">Fully qualified scalar or element type.</param>
/// <param name="IntegerType">Integer keyword the value converts to (<c>long</c>/<c>ulong</c>) for integer fields, else empty.</param>
/// <param name="Container">How the value is held.</param>
/// <param name="ParameterIndex">Position among the primary constructor's parameters (also for a <c>[property: SpeadItem]</c> positional member), or -1 for a property set in an object initializer.</param>
/// <param name="IsOptional">A nullable-annotated string or array: a missing item reads as null.</param>
/// <param name="ByteOrder">SpeadByteOrder of a dtype item: 0 native, 1 little-endian, 2 big-endian.</param>
/// <param name="Order">ArrayOrder: 0 C, 1 Fortran.</param>
/// <param name="Rank">Rank of a rectangular array member (1 otherwise).</param>
internal sealed record SpeadItemModel(
    string MemberName,
    long Id,
    string Name,
    string Description,
    EquatableArray<long> Shape,
    ItemEncoding Encoding,
    char Code,
    int Bits,
    long FixedElements,
    string ElementType,
    string IntegerType,
    ContainerKind Container,
    int ParameterIndex,
    bool IsOptional,
    int ByteOrder,
    int Order,
    int Rank);
