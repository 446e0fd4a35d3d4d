namespace Spead2;

/// <summary>Placeholder, replaced by the protocol core.</summary>
public sealed class Flavour
{
}
