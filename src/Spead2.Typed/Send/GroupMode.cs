namespace Spead2.Send;

/// <summary>How the packets of a group of heaps sent together are ordered.</summary>
public enum GroupMode
{
    /// <summary>One packet from each heap in turn, skipping heaps that have run out.</summary>
    RoundRobin = 0,

    /// <summary>All packets of the first heap, then all of the second, and so on.</summary>
    Serial = 1,
}
