using System.Runtime.InteropServices;
using Spead2.Send.Native;

namespace Spead2.Tests.Send.Native;

public class PinCacheTests
{
    [Fact]
    public void AReusedArrayIsPinnedOnceAndItsAddressPointsAtItsBytes()
    {
        using var cache = new PinCache();
        byte[] data = [1, 2, 3, 4];
        nint first = cache.Get(data);
        Assert.NotEqual(0, first);
        cache.EndBatch();
        for (int i = 0; i < 10; i++)
        {
            GC.Collect(); // a pinned array does not move
            Assert.Equal(first, cache.Get(data));
            cache.EndBatch();
        }
        Assert.Equal(1, cache.Count);
        unsafe
        {
            Assert.Equal(data, new ReadOnlySpan<byte>((void*)first, data.Length).ToArray());
        }
    }

    [Fact]
    public void ArraysUsedByTheCurrentBatchAreNeverReleased()
    {
        using var cache = new PinCache();
        var arrays = Enumerable.Range(0, PinCache.Capacity + 1).Select(i => new byte[16]).ToArray();
        var addresses = new nint[arrays.Length];
        for (int i = 0; i < PinCache.Capacity; i++)
        {
            addresses[i] = cache.Get(arrays[i]);
            Assert.NotEqual(0, addresses[i]);
        }
        // Every entry is in use by this batch: the next array is not cached (the caller pins it for the batch).
        Assert.Equal(0, cache.Get(arrays[^1]));
        for (int i = 0; i < PinCache.Capacity; i++)
        {
            Assert.Equal(addresses[i], cache.Get(arrays[i])); // still held, at the same place
        }

        cache.EndBatch();
        // In a new batch: array 0 used again, then a new array takes the least recently used entry (not array 0).
        Assert.Equal(addresses[0], cache.Get(arrays[0]));
        Assert.NotEqual(0, cache.Get(arrays[^1]));
        Assert.Equal(addresses[0], cache.Get(arrays[0]));
        Assert.Equal(PinCache.Capacity, cache.Count);
    }

    [Fact]
    public void LargeArraysAreLeftToTheCaller()
    {
        using var cache = new PinCache();
        Assert.Equal(0, cache.Get(new byte[PinCache.MaxArrayLength + 1]));
        Assert.NotEqual(0, cache.Get(new byte[PinCache.MaxArrayLength]));
    }

    [Fact]
    public void HeldArraysStayAliveUntilDisposed()
    {
        var cache = new PinCache();
        WeakReference weak = PinAnArray(cache);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(weak.IsAlive); // the pin holds it
        cache.Dispose();
        Assert.Equal(0, cache.Count);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(weak.IsAlive); // released: nothing keeps it any more
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference PinAnArray(PinCache cache)
    {
        byte[] data = new byte[8];
        Assert.NotEqual(0, cache.Get(data));
        return new WeakReference(data);
    }
}
