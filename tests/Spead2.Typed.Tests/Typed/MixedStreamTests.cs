using System.Net;
using Spead2.Protocol;
using Spead2.Recv;
using Spead2.Send;
using Spead2.Send.Engine;
using Spead2.Tests.Support;
using Spead2.Typed;

namespace Spead2.Tests.Typed;

// Three record types that share items, as katgpucbf's streams do (timestamp 0x1600 and frequency 0x4103 in all).
public partial record MixedFeng(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4101, Name = "feng_id", Bits = 48)] ulong FengId,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency,
    [SpeadItem(0x4300, Name = "feng_raw", Shape = new[] { 2, 2, 2, 2 })] sbyte[] FengRaw);

public partial record MixedXeng(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency,
    [SpeadItem(0x1800, Name = "xeng_raw", Shape = new[] { 2, 3, 2 })] int[] XengRaw);

public partial record MixedBeam(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency,
    [SpeadItem(0x5004, Name = "beam_ants", Bits = 48)] ulong BeamAnts,
    [SpeadItem(0x5000, Name = "bf_raw", Shape = new[] { 2, 4, 2 })] sbyte[] BfRaw);

/// <summary>The items every stream above shares: a heap of just these is this type, never one of the bigger ones.</summary>
public readonly partial record struct MixedStamp(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency);

/// <summary>Same IDs as <see cref="MixedStamp"/> with another name for 0x1600: which one a heap is depends on the descriptors.</summary>
public readonly partial record struct MixedStampRenamed(
    [SpeadItem(0x1600, Name = "sync_time", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency);

/// <summary>Same items as <see cref="MixedStamp"/>: cannot be told apart from it.</summary>
public readonly partial record struct MixedStampTwin(
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Channel,
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Time);

/// <summary>Shares 0x1600 and has one item of its own: a heap with all three items is ambiguous between it and <see cref="MixedStamp"/>.</summary>
public readonly partial record struct MixedStampGain(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x6000, Name = "gain", Bits = 48)] ulong Gain);

/// <summary>A nullable member: heaps without its item still dispatch here.</summary>
public partial record MixedNote(
    [SpeadItem(0x7000, Name = "note_time", Bits = 48)] ulong Time,
    [SpeadItem(0x7001, Name = "note")] string? Note);

/// <summary>Like <see cref="MixedXeng"/> with another shape: the sender's descriptor differs from the declaration.</summary>
public partial record MixedXengWide(
    [SpeadItem(0x1600, Name = "timestamp", Bits = 48)] ulong Timestamp,
    [SpeadItem(0x4103, Name = "frequency", Bits = 48)] ulong Frequency,
    [SpeadItem(0x1800, Name = "xeng_raw", Shape = new[] { 4, 3, 2 })] int[] XengRaw);

/// <summary>
/// Typed receive of streams that carry several record types (<see cref="HeapDispatcher"/>): each heap goes to the
/// type whose items it carries, whatever order the types were added in or first appear in; heaps that match
/// none are skipped and counted; each record comes with its heap cnt; over bytes, UDP and TCP.
/// </summary>
public class MixedStreamTests
{
    private static readonly Flavour Spead6448 = new(4, 64, 48);

    private static MixedFeng Feng(int i) => new((ulong)i * 0x20000, 3, (ulong)i * 2, Enumerable.Range(0, 16).Select(k => (sbyte)(k - i)).ToArray());

    private static MixedXeng Xeng(int i) => new((ulong)i * 0x80000, 4, Enumerable.Range(0, 12).Select(k => k * 100_000 - i).ToArray());

    private static MixedBeam Beam(int i) => new((ulong)i * 0x20000, 4, 3, Enumerable.Range(0, 16).Select(k => (sbyte)(i - k)).ToArray());

    // Records compare arrays by reference; a text form compares contents, and shows pattern matching on the record.
    private static string Show(ReceivedRecord received) => received.Value switch
    {
        MixedFeng f => $"{received.Cnt}: F t={f.Timestamp} feng={f.FengId} ch={f.Frequency} [{string.Join(",", f.FengRaw)}]",
        MixedXeng x => $"{received.Cnt}: X t={x.Timestamp} ch={x.Frequency} [{string.Join(",", x.XengRaw)}]",
        MixedBeam b => $"{received.Cnt}: B t={b.Timestamp} ch={b.Frequency} ants={b.BeamAnts} [{string.Join(",", b.BfRaw)}]",
        MixedStamp s => $"{received.Cnt}: S t={s.Timestamp} ch={s.Frequency}",
        MixedStampRenamed r => $"{received.Cnt}: R t={r.Timestamp} ch={r.Frequency}",
        MixedNote n => $"{received.Cnt}: N t={n.Time} note={n.Note ?? "(null)"}",
        _ => $"{received.Cnt}: unexpected {received.Value.GetType().Name}",
    };

    private static string Show(int cnt, object value) => Show(new ReceivedRecord(value, cnt));

    private static Heap Values<T>(T value)
        where T : ISpeadHeap<T>
    {
        var heap = new HeapWriter<T>(flavour: Spead6448).GetHeap(value, HeapContents.None);
        heap.RepeatPointers = true;   // as katgpucbf sends its data heaps
        return heap;
    }

    private static Heap DescriptorsOf<T>()
        where T : ISpeadHeap<T>
    {
        var heap = new Heap(Spead6448);
        new HeapWriter<T>(flavour: Spead6448).AddDescriptorsToHeap(heap);
        return heap;
    }

    private static Heap WithDescriptors<T>(T value)
        where T : ISpeadHeap<T> =>
        new HeapWriter<T>(flavour: Spead6448).GetHeap(value, HeapContents.All);

    private static Heap Control(bool start)
    {
        var heap = new Heap(Spead6448);
        if (start)
        {
            heap.AddStart();
        }
        else
        {
            heap.AddEnd();
        }

        return heap;
    }

    /// <summary>
    /// The mixed stream: beam records appear first, then X, then F; descriptors arrive in heaps of their own per
    /// type (F's together with its first value); an unregistered type and an F heap sent before F's descriptors are
    /// in between. Returns what a reader of F, X and beam records must get.
    /// </summary>
    private static async Task<List<string>> SendMixedAsync(SendStream stream)
    {
        var expected = new List<string>();
        async Task Send(Heap heap, long cnt) => await stream.SendHeapAsync(heap, cnt);
        async Task SendValue<T>(T value, long cnt)
            where T : ISpeadHeap<T>
        {
            await Send(Values(value), cnt);
            expected.Add(Show((int)cnt, value!));
        }

        await Send(Control(start: true), 1);
        await Send(DescriptorsOf<MixedBeam>(), 2);
        await SendValue(Beam(0), 3);
        await Send(DescriptorsOf<MixedXeng>(), 4);
        await SendValue(Xeng(0), 5);
        await SendValue(Beam(1), 6);
        await Send(WithDescriptors(new Tick(5) { Label = "not registered" }), 7);   // unmatched
        await Send(Values(Feng(0)), 8);                                             // F not described yet
        await Send(WithDescriptors(Feng(1)), 9);
        expected.Add(Show(9, Feng(1)));
        await SendValue(Xeng(1), 10);
        await SendValue(Feng(2), 11);
        await SendValue(Beam(2), 12);
        await Send(Control(start: false), 13);
        return expected;
    }

    private static HeapDispatcher ThreeTypes() => new HeapDispatcher().Add<MixedFeng>().Add<MixedXeng>().Add<MixedBeam>();

    private static async Task<List<string>> ReadAsync(ReceiveStream stream, HeapDispatcher dispatcher, CancellationToken cancellationToken = default)
    {
        var result = new List<string>();
        await foreach (var received in stream.ReadAllAsync(dispatcher, cancellationToken))
        {
            result.Add(Show(received));
        }

        return result;
    }

    private static async Task<byte[]> MixedBytesAsync()
    {
        var stream = new BytesStream();
        await SendMixedAsync(stream);
        return stream.GetValue();
    }

    [Fact]
    public async Task EachHeapIsReadAsTheTypeWhoseItemsItCarriesWithItsCnt()
    {
        var sender = new BytesStream();
        var expected = await SendMixedAsync(sender);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        var dispatcher = ThreeTypes();

        var received = await ReadAsync(receiver, dispatcher);

        Assert.Equal(expected, received);
        Assert.Equal(["3: B", "5: X", "6: B", "9: F", "10: X", "11: F", "12: B"], received.Select(r => r[..(r.IndexOf(':') + 3)]));
        Assert.Equal(1, dispatcher.UnmatchedHeaps);           // the Tick heap
        Assert.Equal(1, dispatcher.HeapsBeforeDescriptors);   // the F heap before F's descriptors
        Assert.Equal(0, dispatcher.IncompleteHeaps);
    }

    [Fact]
    public async Task TheOrderTypesAreAddedInChangesNothing()
    {
        var bytes = await MixedBytesAsync();
        Func<HeapDispatcher, HeapDispatcher>[] adds = [d => d.Add<MixedFeng>(), d => d.Add<MixedXeng>(), d => d.Add<MixedBeam>(), d => d.Add<MixedStamp>()];
        List<string>? first = null;
        foreach (var order in new[] { new[] { 0, 1, 2, 3 }, [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1] })
        {
            var dispatcher = new HeapDispatcher();
            foreach (var i in order)
            {
                adds[i](dispatcher);
            }

            await using var receiver = new ReceiveStream();
            receiver.AddBufferReader(bytes);
            var received = await ReadAsync(receiver, dispatcher);
            first ??= received;
            Assert.Equal(first, received);
        }

        Assert.Equal(7, first!.Count);   // MixedStamp, a subset of all three, took none of their heaps
    }

    [Fact]
    public async Task TheOrderTypesFirstAppearInChangesNothing()
    {
        // The same records as the mixed stream, F first and beam last, all descriptors up front in one heap.
        var sender = new BytesStream();
        var descriptors = new Heap(Spead6448);
        new HeapWriter<MixedFeng>(flavour: Spead6448).AddDescriptorsToHeap(descriptors);
        new HeapWriter<MixedXeng>(flavour: Spead6448).AddDescriptorsToHeap(descriptors);
        new HeapWriter<MixedBeam>(flavour: Spead6448).AddDescriptorsToHeap(descriptors);
        await sender.SendHeapAsync(descriptors, 1);
        var expected = new List<string>();
        object[] values = [Feng(1), Feng(2), Xeng(0), Xeng(1), Beam(0), Beam(1), Beam(2)];
        for (var i = 0; i < values.Length; i++)
        {
            var heap = values[i] switch
            {
                MixedFeng f => Values(f),
                MixedXeng x => Values(x),
                MixedBeam b => Values(b),
                _ => throw new InvalidOperationException(),
            };
            await sender.SendHeapAsync(heap, 100 + i);
            expected.Add(Show(100 + i, values[i]));
        }

        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        Assert.Equal(expected, await ReadAsync(receiver, ThreeTypes()));

        // And the mixed stream's records, in its own order, are the same set.
        await using var mixed = new ReceiveStream();
        mixed.AddBufferReader(await MixedBytesAsync());
        Assert.Equal(expected.Select(WithoutCnt).Order(), (await ReadAsync(mixed, ThreeTypes())).Select(WithoutCnt).Order());

        static string WithoutCnt(string shown) => shown[(shown.IndexOf(':') + 2)..];
    }

    [Fact]
    public async Task TheMostSpecificTypeWinsAndASubsetTypeGetsOnlyItsOwnHeaps()
    {
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(Xeng(0)), 1);
        await sender.SendHeapAsync(Values(new MixedStamp(7, 8)), 2);
        await sender.SendHeapAsync(Values(Xeng(1)), 3);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());

        var received = await ReadAsync(receiver, new HeapDispatcher().Add<MixedStamp>().Add<MixedXeng>());

        Assert.Equal([Show(1, Xeng(0)), "2: S t=7 ch=8", Show(3, Xeng(1))], received);
    }

    [Fact]
    public async Task TheDescriptorsSeenSoFarDecideBetweenTypesWithTheSameIds()
    {
        // 0x1600 is first described as "timestamp", then re-described as "sync_time": the same bytes change type.
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(new MixedStamp(1, 2)), 1);
        await sender.SendHeapAsync(Values(new MixedStamp(3, 4)), 2);
        await sender.SendHeapAsync(WithDescriptors(new MixedStampRenamed(5, 6)), 3);
        await sender.SendHeapAsync(Values(new MixedStamp(7, 8)), 4);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());

        var received = await ReadAsync(receiver, new HeapDispatcher().Add<MixedStampRenamed>().Add<MixedStamp>());

        Assert.Equal(["1: S t=1 ch=2", "2: S t=3 ch=4", "3: R t=5 ch=6", "4: R t=7 ch=8"], received);
    }

    [Fact]
    public async Task ANullableMembersItemMayBeAbsent()
    {
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(new MixedNote(1, "first")), 1);
        await sender.SendHeapAsync(Values(new MixedNote(2, null)), 2);
        await sender.SendHeapAsync(Values(Xeng(0)), 3);   // X not registered here: unmatched, not before descriptors
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        var dispatcher = new HeapDispatcher().Add<MixedNote>().Add<MixedStamp>();

        var received = await ReadAsync(receiver, dispatcher);

        Assert.Equal(["1: N t=1 note=first", "2: N t=2 note=(null)"], received);
        Assert.Equal(0, dispatcher.UnmatchedHeaps);
        Assert.Equal(1, dispatcher.HeapsBeforeDescriptors);   // 0x1600 and 0x4103 are MixedStamp's and undescribed
    }

    [Fact]
    public async Task AHeapOfAnUnregisteredTypeIsSkippedAndCounted()
    {
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(new MixedNote(1, "x")), 1);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        var dispatcher = ThreeTypes();

        Assert.Empty(await ReadAsync(receiver, dispatcher));
        Assert.Equal(1, dispatcher.UnmatchedHeaps);
        Assert.Equal(0, dispatcher.HeapsBeforeDescriptors);
    }

    [Fact]
    public async Task AHeapThatSharesSomeItemsWithRegisteredTypesButIsNoneOfThemIsSkipped()
    {
        // An F-engine heap shares timestamp and frequency with X and beam heaps, but carries neither xeng_raw nor bf_raw.
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(Feng(1)), 1);
        await sender.SendHeapAsync(WithDescriptors(Xeng(1)), 2);
        await sender.SendHeapAsync(Values(Feng(2)), 3);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        var dispatcher = new HeapDispatcher().Add<MixedXeng>().Add<MixedBeam>();

        Assert.Equal([Show(2, Xeng(1))], await ReadAsync(receiver, dispatcher));
        Assert.Equal(2, dispatcher.UnmatchedHeaps);
        Assert.Equal(0, dispatcher.HeapsBeforeDescriptors);
    }

    [Fact]
    public async Task ADescriptorThatDiffersFromTheMatchedTypeThrowsNamingTheMember()
    {
        var sender = new BytesStream();
        await sender.SendHeapAsync(WithDescriptors(Xeng(0)), 1);
        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(receiver, new HeapDispatcher().Add<MixedXengWide>().Add<MixedBeam>()));

        Assert.StartsWith("MixedXengWide.XengRaw: item 'xeng_raw' (0x1800)", e.Message);
        Assert.Contains("(2, 3, 2)", e.Message);
        Assert.Contains("(4, 3, 2)", e.Message);
    }

    [Fact]
    public async Task TwoTypesThatMatchAHeapEquallyWellThrowNamingBoth()
    {
        var heap = WithDescriptors(new MixedStamp(1, 2));
        new HeapWriter<MixedStampGain>(flavour: Spead6448).AddToHeap(new MixedStampGain(1, 9), heap, HeapContents.All);
        var sender = new BytesStream();
        await sender.SendHeapAsync(heap, 77);
        var bytes = sender.GetValue();

        foreach (var dispatcher in new[] { new HeapDispatcher().Add<MixedStamp>().Add<MixedStampGain>(), new HeapDispatcher().Add<MixedStampGain>().Add<MixedStamp>() })
        {
            await using var receiver = new ReceiveStream();
            receiver.AddBufferReader(bytes);
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(receiver, dispatcher));
            Assert.Equal(
                "Heap 77 carries the items of both MixedStamp ('timestamp' 0x1600, 'frequency' 0x4103) and MixedStampGain " +
                "('timestamp' 0x1600, 'gain' 0x6000), and neither has more items: it cannot be dispatched. Give one of the types an item the other lacks.",
                e.Message);
        }
    }

    [Fact]
    public void TypesThatCannotBeToldApartAreRefusedWhenAdded()
    {
        var dispatcher = new HeapDispatcher().Add<MixedStamp>();

        var twin = Assert.Throws<ArgumentException>(() => dispatcher.Add<MixedStampTwin>());
        Assert.StartsWith("MixedStampTwin declares the same items as MixedStamp ('frequency' 0x4103, 'timestamp' 0x1600): a heap cannot say which of the two it is.", twin.Message);
        var again = Assert.Throws<ArgumentException>(() => dispatcher.Add<MixedStamp>());
        Assert.StartsWith("MixedStamp was already added.", again.Message);
        dispatcher.Add<MixedStampRenamed>();   // other name for 0x1600: told apart by the descriptors
        Assert.Equal([typeof(MixedStamp), typeof(MixedStampRenamed)], dispatcher.RecordTypes);
    }

    [Fact]
    public async Task ArgumentsAreCheckedAtOnce()
    {
        await using var receiver = new ReceiveStream();
        Assert.Throws<ArgumentNullException>(() => TypedReceiveExtensions.ReadAllAsync(null!, ThreeTypes()));
        Assert.Throws<ArgumentNullException>(() => receiver.ReadAllAsync(null!));
        Assert.Throws<InvalidOperationException>(() => receiver.ReadAllAsync(new HeapDispatcher()));
        Assert.Throws<ArgumentNullException>(() => TypedReceiveExtensions.ReadAllWithCntAsync<MixedXeng>(null!));
        Assert.Throws<ArgumentNullException>(() => new HeapDispatcher().TryRead(null!, out _));
    }

    [Fact]
    public async Task ASingleTypeReaderGivesTheHeapCntToo()
    {
        // katgpucbf's X-engine cnt sequence: first = channel offset / channels per substream, step = substreams.
        var sender = new BytesStream();
        sender.SetCntSequence(3, 8);
        var generator = new HeapWriter<MixedXeng>(flavour: Spead6448);
        await sender.SendStartAsync(generator);   // cnt 3
        for (var i = 0; i < 3; i++)
        {
            await sender.SendAsync(generator, Xeng(i));   // cnts 11, 19, 27
        }

        await using var receiver = new ReceiveStream();
        receiver.AddBufferReader(sender.GetValue());
        var received = new List<(long Cnt, ulong Timestamp)>();
        await foreach (var (dump, cnt) in receiver.ReadAllWithCntAsync<MixedXeng>())
        {
            received.Add((cnt, dump.Timestamp));
        }

        Assert.Equal([(11L, 0UL), (19L, 0x80000UL), (27L, 0x100000UL)], received);
    }

    [Fact]
    public async Task TheMixedStreamComesBackOverUdp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
        await using var receiver = new ReceiveStream();
        var reader = receiver.AddUdpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var dispatcher = ThreeTypes();
        var receiving = Task.Run(() => ReadAsync(receiver, dispatcher, timeout.Token));

        List<string> expected;
        await using (var sender = new UdpStream("127.0.0.1", reader.LocalEndPoint.Port, new StreamConfig { Rate = 50e6, MaxPacketSize = 200 }))
        {
            expected = await SendMixedAsync(sender);   // ends with a stop heap, which ends the receiver's loop
        }

        Assert.Equal(expected, await receiving);
        Assert.Equal(1, dispatcher.UnmatchedHeaps);
    }

    [Fact]
    public async Task TheMixedStreamComesBackOverTcp()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));   // a hang guard, not a timed assertion
        await using var receiver = new ReceiveStream();
        var reader = receiver.AddTcpReader(new IPEndPoint(IPAddress.Loopback, 0));
        var dispatcher = ThreeTypes();
        var receiving = Task.Run(() => ReadAsync(receiver, dispatcher, timeout.Token));

        List<string> expected;
        await using (var sender = await TcpStream.ConnectAsync("127.0.0.1", reader.LocalEndPoint.Port, new StreamConfig { MaxPacketSize = 200 }))
        {
            expected = await SendMixedAsync(sender);
        }

        Assert.Equal(expected, await receiving);
        Assert.Equal(1, dispatcher.HeapsBeforeDescriptors);
    }

    [Fact]
    public void DispatchingAllocatesOnlyWhatReadingTheRecordDoes()
    {
        // Matching itself allocates nothing: the cost per heap is what T.TryRead allocates (the record and its arrays).
        var dispatcher = new HeapDispatcher().Add<MixedStamp>().Add<MixedXeng>();
        Assert.True(dispatcher.TryRead(ReceiveHelpers.RoundTrip(WithDescriptors(Xeng(0))), out _));
        var heap = ReceiveHelpers.RoundTrip(Values(Xeng(1)));
        Assert.True(dispatcher.TryRead(heap, out var record));
        Assert.Equal(Show(0, Xeng(1)), Show(0, record.Value));
        var direct = PerCall(() => MixedXeng.TryRead(heap, dispatcher.Descriptors, out _, out _));
        var dispatched = PerCall(() => dispatcher.TryRead(heap, out _));

        Assert.Equal(direct, dispatched);

        // A record struct of scalars reads with no allocation; dispatched, it costs its box and nothing more.
        Assert.True(dispatcher.TryRead(ReceiveHelpers.RoundTrip(WithDescriptors(new MixedStamp(1, 2))), out _));
        var stamp = ReceiveHelpers.RoundTrip(Values(new MixedStamp(3, 4)));
        Assert.Equal(0, PerCall(() => MixedStamp.TryRead(stamp, dispatcher.Descriptors, out _, out _)));
        Assert.InRange(PerCall(() => dispatcher.TryRead(stamp, out _)), 1, 32);   // object header + two ulongs
    }

    // Bytes allocated per call: the least of several rounds, so that a one-off allocation by the runtime (a method
    // recompiled at a higher tier in the middle of a round) does not count.
    private static long PerCall(Action action)
    {
        const int Calls = 200;
        for (var i = 0; i < Calls; i++)
        {
            action();
        }

        var least = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Calls; i++)
            {
                action();
            }

            least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / Calls);
        }

        return least;
    }
}
