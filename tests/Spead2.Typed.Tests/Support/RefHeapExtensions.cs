using Spead2.Protocol;
using Spead2.Send;
using Spead2.TestSupport;

namespace Spead2.Tests.Support;

/// <summary>The library's side of a <see cref="RefHeap"/>: the reference encoder itself references nothing of the library.</summary>
internal static class RefHeapExtensions
{
    /// <summary>Builds the equivalent heap of the code under test, through its public API only.</summary>
    public static Heap ToHeap(this RefHeap reference)
    {
        var heap = new Heap(new Flavour(heapAddressBits: reference.Hab)) { RepeatPointers = reference.RepeatPointers };
        foreach (var item in reference.Items)
        {
            if (item.Inline is { } v)
                heap.AddImmediate(item.Id, (long)v);
            else
                heap.AddItem(item.Id, item.Value!, item.AllowImmediate);
        }
        return heap;
    }
}
