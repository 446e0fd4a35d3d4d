namespace Spead2.Internal;

/// <summary>
/// A lock for critical sections of a few dozen instructions that are entered once or more per heap: a
/// <see cref="SpinLock"/> without owner tracking, so that leaving it is a plain (volatile) store instead of the
/// interlocked operation that leaving a <see cref="Lock"/> costs. Use it as <c>using (x.EnterScope()) { ... }</c>.
/// </summary>
/// <remarks>
/// Measured on the single-packet send path, where the stream's tail lock is taken for every heap: a
/// <see cref="Lock"/>'s enter and exit were the largest user-space cost after the system call. Not reentrant. A
/// waiter spins, then yields and at last sleeps a millisecond at a time, so hold it only briefly: the slow calls
/// made under it (a thread's first start, waking a sleeping thread, a warning logged when the queue is full) are rare,
/// and nothing done under it waits for a thread that may need the same lock.
/// </remarks>
internal sealed class ShortLock
{
    private SpinLock _lock = new(enableThreadOwnerTracking: false);

    /// <summary>Takes the lock until the returned scope is disposed.</summary>
    public Scope EnterScope()
    {
        bool taken = false;
        _lock.Enter(ref taken);
        return new Scope(this);
    }

    /// <summary>Whether some thread holds the lock (for assertions).</summary>
    public bool IsHeld => _lock.IsHeld;

    private void Exit() => _lock.Exit(useMemoryBarrier: false);

    /// <summary>Holds the lock until disposed.</summary>
    public readonly ref struct Scope
    {
        private readonly ShortLock _owner;

        internal Scope(ShortLock owner) => _owner = owner;

        /// <summary>Releases the lock.</summary>
        public void Dispose() => _owner.Exit();
    }
}
