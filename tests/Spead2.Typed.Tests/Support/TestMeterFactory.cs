using System.Diagnostics.Metrics;

namespace Spead2.Tests.Support;

/// <summary>
/// A meter factory of the test's own, as an application's dependency injection would give a stream: its meters are
/// scoped to it, so a <c>MetricCollector&lt;T&gt;</c> created on it sees exactly the streams the test configured with it,
/// whatever other tests run alongside.
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        lock (_meters)
            _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
                meter.Dispose();
            _meters.Clear();
        }
    }
}
