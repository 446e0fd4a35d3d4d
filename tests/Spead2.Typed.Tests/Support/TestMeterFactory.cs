using System.Diagnostics.Metrics;

namespace Spead2.Tests.Support;

/// <summary>
/// An <see cref="IMeterFactory"/> for one test: its meters carry it as their scope, so a
/// MetricCollector given the factory sees only the streams configured with it, whatever else runs in parallel.
/// </summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }
        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
            _meters.Clear();
        }
    }
}
