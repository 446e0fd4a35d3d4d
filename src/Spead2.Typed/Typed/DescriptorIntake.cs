using Spead2.Protocol;
using Spead2.Recv;

namespace Spead2.Typed;

/// <summary>How typed readers take in the descriptors a heap carries (shared by <see cref="HeapReader{T}"/> and
/// <see cref="HeapDispatcher"/>).</summary>
internal static class DescriptorIntake
{
    /// <summary>
    /// Adds every descriptor of <paramref name="heap"/> to <paramref name="descriptors"/>. A descriptor that cannot be
    /// read is skipped when <paramref name="isNeeded"/> says its item is not read (spead2 would only warn), and
    /// otherwise throws <see cref="InvalidDataException"/> whose message starts with <paramref name="subject"/> (for example
    /// "The descriptor").
    /// </summary>
    public static void Apply(ReceivedHeap heap, ItemGroup descriptors, Func<long, bool> isNeeded, string subject)
    {
        var raw = heap.GetRawDescriptors();
        for (int i = 0; i < raw.Count; i++)
        {
            Descriptor descriptor;
            try
            {
                descriptor = raw[i].ToDescriptor(heap.Flavour.BugCompat);
            }
            catch (InvalidDataException) when (!isNeeded(raw[i].Id))
            {
                continue;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{subject} of item 0x{raw[i].Id:X} cannot be read: {e.Message}", e);
            }
            descriptors.Add(new Item(descriptor));
        }
    }
}
