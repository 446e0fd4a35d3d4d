using Spead2.Recv;
using Spead2.Send.Engine;

namespace Spead2.Reliability.Tests;

/// <summary>
/// Checks received <see cref="LoadHeap"/> heaps as they arrive: each sender's heaps must come once, intact, in
/// sequence order, and (optionally) with the heap cnt its stream's cnt sequence gives them.
/// </summary>
internal sealed class Tally
{
    private readonly object _lock = new();
    private readonly Dictionary<int, long> _next = [];
    private readonly Func<int, long, long>? _expectedCnt;

    /// <param name="senders">The sender ids this receiver may see.</param>
    /// <param name="expectedCnt">If given, the heap cnt each (sender, sequence) must carry.</param>
    public Tally(IEnumerable<int> senders, Func<int, long, long>? expectedCnt = null)
    {
        foreach (int s in senders)
        {
            _next[s] = 0;
        }
        _expectedCnt = expectedCnt;
    }

    public long Heaps { get; private set; }
    public long Bytes { get; private set; }
    public long Corrupt { get; private set; }
    public long Duplicates { get; private set; }
    public long OutOfOrder { get; private set; }
    public long Foreign { get; private set; }
    public long WrongCnt { get; private set; }
    public List<string> FirstProblems { get; } = [];

    /// <summary>The next sequence number expected from <paramref name="sender"/> (= heaps received in order).</summary>
    public long NextFrom(int sender)
    {
        lock (_lock)
        {
            return _next[sender];
        }
    }

    public void Add(ReceivedHeap heap)
    {
        lock (_lock)
        {
            if (!LoadHeap.TryParse(heap, out LoadHeap.Parsed p) || !_next.TryGetValue(p.Sender, out long next))
            {
                Foreign++;
                Note($"foreign heap cnt {heap.Cnt} with {heap.Items.Count} items (complete: {heap.IsComplete})");
                return;
            }
            Heaps++;
            Bytes += p.Length;
            if (!p.Intact)
            {
                Corrupt++;
                Note($"corrupt heap: sender {p.Sender} sequence {p.Sequence} length {p.Length}");
            }
            if (_expectedCnt is not null && heap.Cnt != _expectedCnt(p.Sender, p.Sequence))
            {
                WrongCnt++;
                Note($"sender {p.Sender} sequence {p.Sequence}: cnt {heap.Cnt}, expected {_expectedCnt(p.Sender, p.Sequence)}");
            }
            if (p.Sequence == next)
            {
                _next[p.Sender] = next + 1;
            }
            else if (p.Sequence < next)
            {
                Duplicates++;
                Note($"sender {p.Sender}: sequence {p.Sequence} again (expected {next})");
            }
            else
            {
                OutOfOrder++;
                Note($"sender {p.Sender}: sequence {p.Sequence} while expecting {next} (a heap was lost or reordered)");
                _next[p.Sender] = p.Sequence + 1;
            }
        }
    }

    /// <summary>Asserts that every sender's <paramref name="perSender"/> heaps arrived once, intact and in order.</summary>
    public void AssertComplete(long perSender)
    {
        Assert.True(FirstProblems.Count == 0, string.Join(Environment.NewLine, FirstProblems));
        Assert.Equal(0, Corrupt);
        Assert.Equal(0, Duplicates);
        Assert.Equal(0, OutOfOrder);
        Assert.Equal(0, Foreign);
        Assert.Equal(0, WrongCnt);
        foreach ((int sender, long next) in _next)
        {
            Assert.True(next == perSender, $"sender {sender}: {next} of {perSender} heaps arrived in order");
        }
        Assert.Equal(perSender * _next.Count, Heaps);
    }

    public static async Task ConsumeAsync(ReceiveStream stream, Tally tally, CancellationToken cancellationToken)
    {
        await foreach (ReceivedHeap heap in stream.WithCancellation(cancellationToken))
        {
            using (heap)
            {
                tally.Add(heap);
            }
        }
        await stream.Completion.WaitAsync(cancellationToken);
    }

    private void Note(string problem)
    {
        if (FirstProblems.Count < 10)
        {
            FirstProblems.Add(problem);
        }
    }
}
