// Resource counts (threads, descriptors, memory) and timing-sensitive loopback traffic are only meaningful when
// nothing else in this process runs at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
