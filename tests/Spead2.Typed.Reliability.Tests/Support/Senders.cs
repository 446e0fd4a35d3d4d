using Spead2.Protocol;
using Spead2.Send;

namespace Spead2.Reliability.Tests;

internal static class Senders
{
    /// <summary>
    /// Sends heaps 0 .. <paramref name="count"/>-1 of <paramref name="sender"/> with at most <paramref name="window"/>
    /// of them in flight, reusing that many heaps and payload buffers (each reused only after its send completed).
    /// </summary>
    /// <returns>Bytes sent, as reported by the stream.</returns>
    public static async Task<long> SendSequenceAsync(SendStream stream, int sender, long count, int size, int window, Flavour? flavour = null)
    {
        var heaps = new Heap[window];
        var buffers = new byte[window][];
        var pending = new ValueTask<long>[window];
        for (int i = 0; i < window; i++)
        {
            heaps[i] = new Heap(flavour);
            buffers[i] = new byte[size];
        }
        long bytes = 0;
        for (long i = 0; i < count; i++)
        {
            int slot = (int)(i % window);
            if (i >= window)
            {
                bytes += await pending[slot].ConfigureAwait(false);
            }
            LoadHeap.Build(heaps[slot], buffers[slot], size, sender, i);
            pending[slot] = stream.SendHeapAsync(heaps[slot]);
        }
        // The remaining ones in the order they were queued.
        for (long i = Math.Max(0, count - window); i < count; i++)
        {
            bytes += await pending[(int)(i % window)].ConfigureAwait(false);
        }
        return bytes;
    }
}
