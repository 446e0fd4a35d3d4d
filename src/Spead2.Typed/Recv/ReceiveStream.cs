using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Spead2.Send.Engine;

namespace Spead2.Recv;

/// <summary>
/// A SPEAD receiver: readers (UDP, TCP, in-memory buffers, <see cref="InprocQueue"/>s) feed packets into
/// one <see cref="HeapAssembler"/>, and the heaps come out through <c>await foreach</c> or
/// <see cref="ReadAsync"/>, or through <see cref="ReceiveStreamConfig.HeapReady"/> on the reader's own thread
/// (spead2's C++ <c>recv::stream</c> and its <c>heap_ready</c>). The stream stops on a stop item, when a TCP sender closes, when a
/// buffer or in-process queue ends, or on <see cref="Stop"/>; then the open heaps are flushed
/// and the enumeration ends. A transport fault ends the enumeration with an
/// <see cref="IOException"/> after the heaps received before it.
/// </summary>
/// <example>
/// <code>
/// await using var stream = new ReceiveStream();
/// var reader = stream.AddUdpReader(new IPEndPoint(IPAddress.Any, 8888));
/// await foreach (var heap in stream)
///     using (heap)
///         Console.WriteLine($"heap {heap.Cnt}: {heap.Items.Count} items");
/// </code>
/// </example>
public sealed class ReceiveStream : IAsyncEnumerable<ReceivedHeap>, IAsyncDisposable, IDisposable
{
    private static long s_streamCount;

    private readonly Lock _lock = new();
    private readonly HeapAssembler _assembler;
    private readonly HeapRing _ring;
    private readonly Action<ReceivedHeap>? _heapReady;
    private readonly Lock _heapReadyLock = new();
    private bool _heapReadyFailed;   // under _heapReadyLock: the callback threw and is not called again
    private readonly CancellationTokenSource _stopCts = new();
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _readers = [];
    private readonly List<IDisposable> _resources = [];
    private readonly Task _completion;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _streamTag;
    private bool _readersClosed;
    private Exception? _fault;
    private int _disposed;

    /// <summary>Creates a stream with no readers yet.</summary>
    /// <param name="config">Settings; copied, so later changes have no effect. Defaults if null.</param>
    public ReceiveStream(ReceiveStreamConfig? config = null)
    {
        _assembler = new HeapAssembler(config);
        _ring = new HeapRing(_assembler.Config.RingHeaps);
        _heapReady = _assembler.Config.HeapReady;
        var settings = _assembler.Config;
        _streamTag = new(Send.Engine.SendMetrics.StreamTag, settings.StreamName ?? (object)Interlocked.Increment(ref s_streamCount));
        _ownsMeter = settings.MeterFactory is null;
        _meter = settings.MeterFactory?.Create(new MeterOptions("Spead2.Recv")) ?? new Meter("Spead2.Recv");
        CreateInstruments(_meter);
        _completion = RunCompletionAsync();
        // The fault also reaches the consumer through the enumeration; observe it here so that a
        // caller who never awaits Completion does not get an unobserved-task warning.
        _completion.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The settings in force (a copy of the ones given).</summary>
    public ReceiveStreamConfig Config => _assembler.Config;

    /// <summary>
    /// This stream's meter ("Spead2.Recv"): from <see cref="ReceiveStreamConfig.MeterFactory"/>, or the stream's own.
    /// Its observable counters report <see cref="Statistics"/>, every measurement tagged <c>spead2.stream</c>
    /// (<see cref="ReceiveStreamConfig.StreamName"/>, or a number unique in the process).
    /// </summary>
    public Meter Meter => _meter;

    /// <summary>The counters so far.</summary>
    public ReceiveStatistics Statistics
    {
        get
        {
            lock (_lock)
                return _assembler.Statistics;
        }
    }

    /// <summary>True once the stream has stopped taking packets.</summary>
    public bool IsStopped => _stopRequested.Task.IsCompleted;

    /// <summary>
    /// Completes when the stream has stopped, every reader has finished and the last heap has
    /// been handed to the ring (not necessarily consumed yet) or to <see cref="ReceiveStreamConfig.HeapReady"/>. Faults like
    /// the enumeration, or with the callback's exception.
    /// </summary>
    public Task Completion => _completion;

    /// <summary>
    /// Reads concatenated packets from memory (what a byte stream sender produces), decoding them
    /// one after another and stopping at the first one that cannot be decoded (counted as
    /// malformed). The end of the buffer stops the stream, as in spead2.
    /// </summary>
    /// <param name="data">The bytes; they must not change while the reader runs.</param>
    /// <exception cref="InvalidOperationException">The stream has stopped.</exception>
    public void AddBufferReader(ReadOnlyMemory<byte> data) =>
        StartReader(ct => ReadBufferAsync(data, ct), stopsStreamAtEnd: true);

    /// <summary>
    /// Listens for UDP datagrams on a local endpoint (unicast, or broadcast). Each datagram must
    /// hold exactly one packet of at most <paramref name="maxPacketSize"/> bytes.
    /// </summary>
    /// <param name="endpoint">Local address and port; port 0 picks a free port (see <see cref="UdpReader.LocalEndPoint"/>).</param>
    /// <param name="maxPacketSize">Largest datagram accepted (spead2's default 9200); larger ones are dropped as malformed.</param>
    /// <param name="bufferSize">Socket receive buffer in bytes (spead2's default 8 MiB); 0 keeps the OS default.</param>
    /// <returns>The reader, giving the bound endpoint.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="IOException">The socket could not be bound.</exception>
    /// <exception cref="InvalidOperationException">The stream has stopped.</exception>
    public UdpReader AddUdpReader(IPEndPoint endpoint, int maxPacketSize = UdpReader.DefaultMaxPacketSize,
        int bufferSize = UdpReader.DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var reader = UdpReader.Create(endpoint, null, null, maxPacketSize, bufferSize, _assembler.Logger);
        Attach(reader, ct => reader.RunAsync(this, ct), stopsStreamAtEnd: false);
        return reader;
    }

    /// <summary>
    /// Joins a multicast group and receives its datagrams.
    /// </summary>
    /// <param name="group">The multicast address (IPv4 or IPv6).</param>
    /// <param name="port">The UDP port.</param>
    /// <param name="interfaceAddress">IPv4 only: the address of the interface to join on
    /// (<see cref="IPAddress.Any"/> lets the OS choose).</param>
    /// <param name="interfaceIndex">IPv6 only: the interface index to join on (0 lets the OS choose).</param>
    /// <param name="maxPacketSize">Largest datagram accepted.</param>
    /// <param name="bufferSize">Socket receive buffer in bytes; 0 keeps the OS default.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not multicast, or the interface does not fit its family.</exception>
    /// <exception cref="IOException">The socket could not be bound or the group not joined.</exception>
    /// <exception cref="InvalidOperationException">The stream has stopped.</exception>
    public UdpReader AddUdpMulticastReader(IPAddress group, int port, IPAddress? interfaceAddress = null,
        int interfaceIndex = 0, int maxPacketSize = UdpReader.DefaultMaxPacketSize, int bufferSize = UdpReader.DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(group);
        var reader = UdpReader.CreateMulticast(group, port, interfaceAddress, interfaceIndex, maxPacketSize, bufferSize, _assembler.Logger);
        Attach(reader, ct => reader.RunAsync(this, ct), stopsStreamAtEnd: false);
        return reader;
    }

    /// <summary>
    /// Listens on a TCP endpoint, accepts one sender and reads its packets from the byte stream
    /// (spead2's framing: size from the header and PAYLOAD_LENGTH; an invalid header skips 8
    /// bytes; an oversized packet is skipped whole). The sender closing the connection stops the
    /// stream.
    /// </summary>
    /// <param name="endpoint">Local address and port; port 0 picks a free port (see <see cref="TcpReader.LocalEndPoint"/>).</param>
    /// <param name="maxPacketSize">Largest packet accepted (spead2's default 65536).</param>
    /// <param name="bufferSize">Socket receive buffer in bytes; 0 keeps the OS default.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="IOException">The socket could not listen.</exception>
    /// <exception cref="InvalidOperationException">The stream has stopped.</exception>
    public TcpReader AddTcpReader(IPEndPoint endpoint, int maxPacketSize = TcpReader.DefaultMaxPacketSize,
        int bufferSize = TcpReader.DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var reader = TcpReader.Create(endpoint, maxPacketSize, bufferSize, _assembler.Logger);
        Attach(reader, ct => reader.RunAsync(this, ct), stopsStreamAtEnd: true);
        return reader;
    }

    /// <summary>
    /// Reads packets from an in-process queue (one packet per entry, which must hold exactly one
    /// packet). Stopping the queue stops the stream once its packets are read, as in spead2.
    /// </summary>
    /// <param name="queue">The queue a sender writes to.</param>
    /// <exception cref="InvalidOperationException">The stream has stopped.</exception>
    public void AddInprocReader(InprocQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        StartReader(ct => ReadQueueAsync(queue, ct), stopsStreamAtEnd: true);
    }

    /// <summary>Stops the stream: readers stop, open heaps are flushed, the enumeration ends after them.</summary>
    public void Stop() => RequestStop();

    /// <summary>
    /// Waits for the next heap. Returns null once the stream has stopped and every heap has been
    /// read. The caller owns the heap (dispose it to recycle its buffer).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (not the stream).</param>
    /// <returns>The next heap, or null at the end.</returns>
    /// <exception cref="IOException">A reader failed; earlier heaps were all returned first.</exception>
    /// <remarks>
    /// A read that has to wait is completed on the stream's delivery thread, so the code after the
    /// <c>await</c> runs there (unless a synchronization context or scheduler was captured) until it
    /// awaits something that is not complete. Reads allocate nothing in steady state.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The stream hands its heaps to <see cref="ReceiveStreamConfig.HeapReady"/>.</exception>
    public ValueTask<ReceivedHeap?> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCallbackStream();
        return _ring.ReadAsync(cancellationToken);
    }

    /// <summary>Enumerates the heaps until the stream stops (see <see cref="ReadAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels the enumeration (not the stream).</param>
    /// <returns>The enumerator.</returns>
    /// <exception cref="InvalidOperationException">The stream hands its heaps to <see cref="ReceiveStreamConfig.HeapReady"/>.</exception>
    public IAsyncEnumerator<ReceivedHeap> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        ThrowIfCallbackStream();
        return new HeapEnumerator(this, cancellationToken);
    }

    private void ThrowIfCallbackStream()
    {
        if (_heapReady is not null)
            throw new InvalidOperationException("This stream hands its heaps to ReceiveStreamConfig.HeapReady: there is nothing to read or enumerate.");
    }

    /// <summary>
    /// The enumerator of <c>await foreach</c>, written out rather than an async iterator: a compiler
    /// iterator allocates a state-machine box each time it has to wait, that is for nearly every heap of
    /// a consumer that keeps up.
    /// </summary>
    private sealed class HeapEnumerator(ReceiveStream stream, CancellationToken cancellationToken) : IAsyncEnumerator<ReceivedHeap>
    {
        public ReceivedHeap Current { get; private set; } = null!;

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<bool> MoveNextAsync()
        {
            var heap = await stream.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (heap is null)
                return false;
            Current = heap;
            return true;
        }

        public ValueTask DisposeAsync() => default;
    }

    /// <summary>Stops the stream, closes the readers and drops heaps not yet read.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        RequestStop();
        _disposeCts.Cancel();
        try
        {
            await _completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The fault was for the consumer; disposal only cleans up.
        }
        while (_ring.TryRead(out var heap))
            heap!.Dispose();
        DisposeResources();
        if (_ownsMeter)
            _meter.Dispose();
        _stopCts.Dispose();
        _disposeCts.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Attach(IDisposable resource, Func<CancellationToken, Task> body, bool stopsStreamAtEnd)
    {
        try
        {
            StartReader(body, stopsStreamAtEnd, resource);
        }
        catch
        {
            resource.Dispose();
            throw;
        }
    }

    private void StartReader(Func<CancellationToken, Task> body, bool stopsStreamAtEnd, IDisposable? resource = null)
    {
        lock (_readers)
        {
            if (_readersClosed)
                throw new InvalidOperationException("The receive stream has stopped; no reader can be added.");
            if (resource is not null)
                _resources.Add(resource);
            _readers.Add(Task.Run(() => RunReaderAsync(body, stopsStreamAtEnd)));
        }
    }

    private async Task RunReaderAsync(Func<CancellationToken, Task> body, bool stopsStreamAtEnd)
    {
        var token = _stopCts.Token;
        try
        {
            await body(token).ConfigureAwait(false);
            if (stopsStreamAtEnd)
                RequestStop();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested || _disposeCts.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        catch (Exception ex) when (token.IsCancellationRequested && ex is SocketException or ObjectDisposedException)
        {
            // Closing a socket to stop it can surface as these.
        }
        catch (Exception ex)
        {
            var fault = ex as IOException ?? new IOException($"Receive reader failed: {ex.Message}", ex);
            Interlocked.CompareExchange(ref _fault, fault, null);
            RecvLog.ReaderFault(_assembler.Logger, ex.Message, ex);
            RequestStop();
        }
    }

    private void RequestStop()
    {
        if (_stopRequested.TrySetResult())
        {
            try
            {
                _stopCts.Cancel();
            }
            catch (AggregateException)
            {
                // Cancellation callbacks belong to readers being torn down; nothing to report.
            }
        }
    }

    private async Task RunCompletionAsync()
    {
        await _stopRequested.Task.ConfigureAwait(false);
        Task[] readers;
        lock (_readers)
        {
            _readersClosed = true;
            readers = [.. _readers];
        }
        await Task.WhenAll(readers).ConfigureAwait(false);   // readers never fault: RunReaderAsync catches
        DisposeResources();
        var ready = new List<ReceivedHeap>();
        lock (_lock)
            _assembler.Stop(ready);
        try
        {
            await DeliverAsync(ready).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed while the consumer was not reading; DisposeAsync drains the ring.
        }
        _ring.Complete(_fault);
        if (_fault is not null)
            throw _fault;
    }

    private void DisposeResources()
    {
        IDisposable[] resources;
        lock (_readers)
        {
            resources = [.. _resources];
            _resources.Clear();
        }
        foreach (var resource in resources)
            resource.Dispose();
    }

    /// <summary>
    /// Runs a reader's receive loop on a thread of its own (blocking system calls, no thread-pool
    /// hand-off per datagram); the task ends with the loop, faulted or cancelled as the loop ended.
    /// </summary>
    internal static Task RunOnThread(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(static state =>
        {
            var (work, completion) = ((Action, TaskCompletionSource))state!;
            try
            {
                work();
                completion.SetResult();
            }
            catch (OperationCanceledException e)
            {
                completion.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start((body, done));
        return done.Task;
    }

    /// <summary>
    /// Adds the datagrams of one <c>recvmmsg</c> batch under one acquisition of the lock (GRO runs are
    /// cut into their datagrams; one over <paramref name="maxPacketSize"/> is malformed). True once stopped.
    /// </summary>
    // The receive path runs fully optimised from the first packet: with tiered compilation it would
    // start as unoptimised code, drop datagrams while it warms up and spend CPU recompiling.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool AddDatagrams(Native.UdpBatchReceiver batch, int count, int maxPacketSize, List<ReceivedHeap> ready)
    {
        bool stopped;
        lock (_lock)
        {
            for (int i = 0; i < count && !_assembler.IsStopped; i++)
            {
                var message = batch.GetMessage(i, out int segment);
                if (segment <= 0 || segment >= message.Length)
                {
                    AddDatagram(message, maxPacketSize, ready);
                    continue;
                }
                batch.MergedMessages++;
                for (int offset = 0; offset < message.Length && !_assembler.IsStopped; offset += segment)
                    AddDatagram(message.Slice(offset, Math.Min(segment, message.Length - offset)), maxPacketSize, ready);
            }
            CountKernelDropsLocked(batch);
            stopped = _assembler.IsStopped;
        }
        if (stopped)
            RequestStop();
        return stopped;
    }

    /// <summary>Adds what the OS newly reported dropping for a batched reader's socket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void CountKernelDrops(Native.UdpBatchReceiver batch)
    {
        if (batch.KernelDrops == batch.CountedDrops)
            return;
        lock (_lock)
            CountKernelDropsLocked(batch);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CountKernelDropsLocked(Native.UdpBatchReceiver batch)
    {
        long drops = batch.KernelDrops;
        if (drops > batch.CountedDrops)
        {
            _assembler.CountKernelDrops(drops - batch.CountedDrops);
            batch.CountedDrops = drops;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddDatagram(ReadOnlySpan<byte> datagram, int maxPacketSize, List<ReceivedHeap> ready)
    {
        if (datagram.Length > maxPacketSize)
            _assembler.CountMalformed();
        else
            _assembler.AddPacket(datagram, ready, requireExactLength: true);
    }

    /// <summary>Adds one packet under the stream's lock; returns true once the stream has stopped.</summary>
    internal bool AddPacket(ReadOnlySpan<byte> packet, List<ReceivedHeap> ready, bool requireExactLength)
    {
        bool stopped;
        lock (_lock)
        {
            _assembler.AddPacket(packet, ready, requireExactLength);
            stopped = _assembler.IsStopped;
        }
        if (stopped)
            RequestStop();
        return stopped;
    }

    /// <summary>Feeds bytes a byte-stream reader received through its framer; true once stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal bool Frame(PacketFramer framer, int received, List<ReceivedHeap> ready)
    {
        bool stopped;
        lock (_lock)
        {
            framer.Process(received, _assembler, ready);
            stopped = _assembler.IsStopped;
        }
        if (stopped)
            RequestStop();
        return stopped;
    }

    /// <summary>Counts a datagram dropped before decoding; true once stopped.</summary>
    internal bool CountMalformed()
    {
        lock (_lock)
        {
            _assembler.CountMalformed();
            return _assembler.IsStopped;
        }
    }

    /// <summary>Hands ready heaps to the ring, waiting while it is full, and clears the list.</summary>
    internal async ValueTask DeliverAsync(List<ReceivedHeap> ready)
    {
        if (_heapReady is { } callback)
        {
            DeliverToCallback(ready, callback);
            return;
        }
        try
        {
            for (int i = 0; i < ready.Count; i++)
            {
                await _ring.WriteAsync(ready[i], _disposeCts.Token).ConfigureAwait(false);
                ready[i] = null!;
            }
        }
        catch
        {
            foreach (var heap in ready)
                heap?.Dispose();
            throw;
        }
        finally
        {
            ready.Clear();
        }
    }

    /// <summary>
    /// <see cref="DeliverAsync"/> for a reader thread: blocks while the ring is full (as spead2's
    /// reader does), so no allocation unless the consumer falls behind.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void DeliverBlocking(List<ReceivedHeap> ready)
    {
        if (_heapReady is { } callback)
        {
            DeliverToCallback(ready, callback);
            return;
        }
        try
        {
            for (int i = 0; i < ready.Count; i++)
            {
                if (!_ring.TryWrite(ready[i]))
                    _ring.WriteBlocking(ready[i], _disposeCts.Token);
                ready[i] = null!;
            }
        }
        catch
        {
            foreach (var heap in ready)
                heap?.Dispose();
            throw;
        }
        finally
        {
            ready.Clear();
        }
    }

    /// <summary>
    /// Hands ready heaps to <see cref="ReceiveStreamConfig.HeapReady"/>, one call at a time, and clears the list. A callback that
    /// throws stops the stream with its exception as the fault and is not called again: the heaps after it (also those
    /// other readers finish before they stop) are disposed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeliverToCallback(List<ReceivedHeap> ready, Action<ReceivedHeap> callback)
    {
        Exception? failure = null;
        lock (_heapReadyLock)
        {
            int i = 0;
            try
            {
                for (; i < ready.Count && !_heapReadyFailed; i++)
                {
                    var heap = ready[i];
                    ready[i] = null!;
                    callback(heap);
                }
            }
            catch (Exception ex)
            {
                // Marked before the lock is released, so no other reader's heap reaches the callback after this.
                _heapReadyFailed = true;
                failure = ex;
            }
            // Not delivered: after a failure, or because the callback failed earlier.
            for (; i < ready.Count; i++)
                ready[i]?.Dispose();
        }
        ready.Clear();
        if (failure is not null)
        {
            Interlocked.CompareExchange(ref _fault, failure, null);
            RecvLog.HeapReadyFault(_assembler.Logger, failure.Message, failure);
            RequestStop();
        }
    }

    private async Task ReadBufferAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var ready = new List<ReceivedHeap>();
        int offset = 0;
        while (offset < data.Length && !cancellationToken.IsCancellationRequested)
        {
            bool stopped;
            int size;
            lock (_lock)
            {
                if (_assembler.IsStopped)
                    break;
                var status = PacketDecoder.Decode(data.Span.Slice(offset), out var header);
                if (status != PacketStatus.Ok)
                {
                    // spead2's memory reader gives up at the first undecodable packet.
                    _assembler.CountMalformed();
                    break;
                }
                _assembler.Add(data.Span.Slice(offset, header.Size), header, ready);
                size = header.Size;
                stopped = _assembler.IsStopped;
            }
            offset += size;
            if (ready.Count > 0)
                await DeliverAsync(ready).ConfigureAwait(false);
            if (stopped)
            {
                RequestStop();
                break;
            }
        }
    }

    private async Task ReadQueueAsync(InprocQueue queue, CancellationToken cancellationToken)
    {
        var ready = new List<ReceivedHeap>();
        while (await queue.ReadAsync(cancellationToken).ConfigureAwait(false) is { } packet)
        {
            bool stopped = AddPacket(packet, ready, requireExactLength: true);
            if (ready.Count > 0)
                await DeliverAsync(ready).ConfigureAwait(false);
            if (stopped)
                return;
        }
    }

    private Measurement<long>[] ObserveRejections()
    {
        var s = Statistics;
        return
        [
            new(s.RejectedOutOfOrder, _streamTag, new KeyValuePair<string, object?>("spead2.recv.reason", "out_of_order")),
            new(s.RejectedDuplicates, _streamTag, new KeyValuePair<string, object?>("spead2.recv.reason", "duplicate")),
            new(s.RejectedInconsistent, _streamTag, new KeyValuePair<string, object?>("spead2.recv.reason", "inconsistent")),
            new(s.RejectedOverLimits, _streamTag, new KeyValuePair<string, object?>("spead2.recv.reason", "over_limits")),
            new(s.RejectedUnsized, _streamTag, new KeyValuePair<string, object?>("spead2.recv.reason", "unsized")),
        ];
    }

    private void CreateInstruments(Meter meter)
    {
        // One instrument per ReceiveStatistics counter, described as there, each measurement tagged with the
        // stream; rejections by reason as one instrument tagged spead2.recv.reason too, so the reasons add up to
        // rejected_packets. With a meter factory the instruments live as long as its meter (the factory's).
        meter.CreateObservableCounter("spead2.recv.heaps", () => new Measurement<long>(Statistics.Heaps, _streamTag), "{heap}",
            "Heaps delivered whole");
        meter.CreateObservableCounter("spead2.recv.incomplete_heaps", () => new Measurement<long>(Statistics.IncompleteHeaps, _streamTag), "{heap}",
            "Heaps that left the receiver with payload missing (dropped, or delivered flagged if so configured)");
        meter.CreateObservableCounter("spead2.recv.incomplete_heaps_evicted", () => new Measurement<long>(Statistics.IncompleteHeapsEvicted, _streamTag), "{heap}",
            "Heaps pushed out of their slot by a newer heap before they completed");
        meter.CreateObservableCounter("spead2.recv.incomplete_heaps_flushed", () => new Measurement<long>(Statistics.IncompleteHeapsFlushed, _streamTag), "{heap}",
            "Heaps still open when the stream stopped or was flushed");
        meter.CreateObservableCounter("spead2.recv.packets", () => new Measurement<long>(Statistics.Packets, _streamTag), "{packet}",
            "Well-formed packets offered to heap assembly (accepted plus rejected)");
        meter.CreateObservableCounter("spead2.recv.bytes", () => new Measurement<long>(Statistics.Bytes, _streamTag), "By",
            "Bytes of well-formed packets, headers included");
        meter.CreateObservableCounter("spead2.recv.malformed_packets", () => new Measurement<long>(Statistics.MalformedPackets, _streamTag), "{packet}",
            "Packets that failed decoding or exceeded the maximum packet size, and losses of TCP framing");
        meter.CreateObservableCounter("spead2.recv.rejected_packets", () => new Measurement<long>(Statistics.RejectedPackets, _streamTag), "{packet}",
            "Well-formed packets refused by heap assembly (all reasons)");
        meter.CreateObservableCounter("spead2.recv.rejected_packets_by_reason", ObserveRejections, "{packet}",
            "Well-formed packets refused by heap assembly, by reason: out_of_order (a packet of the heap before it was lost), " +
            "duplicate, inconsistent (with the heap's length or flavour), over_limits (size, pointer or fragment guards), unsized");
        meter.CreateObservableCounter("spead2.recv.skipped_bytes", () => new Measurement<long>(Statistics.SkippedBytes, _streamTag), "By",
            "Bytes a TCP or buffer reader skipped to find the next packet");
        meter.CreateObservableCounter("spead2.recv.kernel_dropped_packets", () => new Measurement<long>(Statistics.KernelDroppedPackets, _streamTag), "{packet}",
            "Datagrams (or runs merged by the sender's GSO, counted once) the OS dropped for the readers' sockets before they were read (full socket buffer); Linux batched path");
    }
}
