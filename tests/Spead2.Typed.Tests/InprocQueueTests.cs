using Spead2.Send;
using Spead2.Tests.Support;
namespace Spead2.Tests;

public class InprocQueueTests
{
    [Fact]
    public async Task PacketsAreReadInOrderAndTheReaderEndsAfterStop()
    {
        var q = new InprocQueue();
        for (byte i = 0; i < 10; i++)
        {
            q.AddPacket(new byte[] { i, (byte)(i * 2) });
        }
        q.Stop();
        var seen = new List<byte[]>();
        await foreach (byte[] p in q.ReadAllAsync())
        {
            seen.Add(p);
        }
        Assert.Equal(10, seen.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(new byte[] { (byte)i, (byte)(i * 2) }, seen[i]);
        }
    }

    [Fact]
    public void PacketsAreCopied()
    {
        var q = new InprocQueue();
        byte[] buffer = [1, 2, 3];
        q.AddPacket(buffer);
        buffer[0] = 99;
        Assert.True(q.TryRead(out byte[]? packet));
        Assert.Equal(new byte[] { 1, 2, 3 }, packet);
        Assert.False(q.TryRead(out _));
    }

    [Fact]
    public void AddingAfterStopThrows()
    {
        var q = new InprocQueue();
        q.Stop();
        q.Stop(); // idempotent
        Assert.True(q.IsStopped);
        var e = Assert.Throws<InvalidOperationException>(() => q.AddPacket(new byte[] { 1 }));
        Assert.Contains("stopped", e.Message);
    }

    [Fact]
    public async Task ReadAsyncWaitsForAPacketAndReturnsNullAtTheEnd()
    {
        var q = new InprocQueue();
        ValueTask<byte[]?> pending = q.ReadAsync();
        Assert.False(pending.IsCompleted);
        q.AddPacket(new byte[] { 7 });
        Assert.Equal(new byte[] { 7 }, await pending);
        q.AddPacket(new byte[] { 8 });
        q.Stop();
        Assert.Equal(new byte[] { 8 }, await q.ReadAsync()); // queued before Stop: still delivered
        Assert.Null(await q.ReadAsync());
    }

    [Fact]
    public async Task ReadAsyncHonoursCancellation()
    {
        var q = new InprocQueue();
        using var cts = new CancellationTokenSource();
        ValueTask<byte[]?> pending = q.ReadAsync(cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
    }

    [Fact]
    public async Task ManyWritersLoseNothingAndKeepEachWritersOrder()
    {
        const int writers = 4;
        const int perWriter = 5000;
        var q = new InprocQueue();
        Task reader = Task.Run(async () =>
        {
            var next = new int[writers];
            int total = 0;
            await foreach (byte[] p in q.ReadAllAsync())
            {
                int w = p[0];
                int n = BitConverter.ToInt32(p, 1);
                Assert.Equal(next[w], n);
                next[w]++;
                total++;
            }
            Assert.Equal(writers * perWriter, total);
        });
        var tasks = new Task[writers];
        for (int w = 0; w < writers; w++)
        {
            int id = w;
            tasks[w] = Task.Run(() =>
            {
                var packet = new byte[5];
                packet[0] = (byte)id;
                for (int i = 0; i < perWriter; i++)
                {
                    BitConverter.TryWriteBytes(packet.AsSpan(1), i);
                    q.AddPacket(packet);
                }
            });
        }
        await Task.WhenAll(tasks);
        q.Stop();
        await reader;
    }
}
