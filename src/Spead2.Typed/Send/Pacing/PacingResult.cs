namespace Spead2.Send.Pacing;

/// <summary>What the writer may do next, as decided by <see cref="RateLimiter.Next"/>.</summary>
internal enum PacingResult
{
    /// <summary>Take the next packet now, then report its size with <see cref="RateLimiter.Account"/>.</summary>
    Success,

    /// <summary>The rate limit says wait: sleep until the returned timestamp, then ask again.</summary>
    Sleep,

    /// <summary>Nothing is queued: wait for work, then call <see cref="RateLimiter.WakeFromIdle"/>.</summary>
    Empty,
}
