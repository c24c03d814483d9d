using System.Diagnostics.Metrics;

namespace Verdict.Serving.Tests;

/// <summary>The drift gauges' window: the last 1,000 predictions of each model, nothing older.</summary>
public sealed class PredictionWindowTests
{
    [Fact]
    public void Window_KeepsOnlyTheLastThousandPredictions_OfEachModel()
    {
        var window = new PredictionWindow();
        for (int i = 0; i < 1000; i++)
        {
            window.Add("m@1", "positive", 0.9);
        }
        // The mix moves: 250 objections push out 250 positives.
        for (int i = 0; i < 250; i++)
        {
            window.Add("m@1", "objection", 0.5);
        }
        window.Add("m@2", "positive", 0.7);

        var shares = window.IntentShares().ToDictionary(m => ((string)m.Tags[0].Value!, (string)m.Tags[1].Value!), m => m.Value);
        Assert.Equal(0.75, shares[("m@1", "positive")], 12);
        Assert.Equal(0.25, shares[("m@1", "objection")], 12);
        Assert.Equal(1.0, shares[("m@2", "positive")], 12);
        var confidence = window.MeanConfidence().ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);
        Assert.Equal((750 * 0.9 + 250 * 0.5) / 1000, confidence["m@1"], 9);
        Assert.Equal(0.7, confidence["m@2"], 12);
    }

    [Fact]
    public void Gauges_AreObservableByAMeterListener()
    {
        ServingTelemetry.Window.Add("gauge-test@1", "unsubscribe", 0.6);
        var seen = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ServingTelemetry.Name && instrument.Name.StartsWith("verdict.model.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (tags.ToArray().Any(t => (string?)t.Value == "gauge-test@1"))
            {
                seen.Add((instrument.Name, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Contains(("verdict.model.confidence.mean", 0.6), seen);
        Assert.Contains(("verdict.model.intent.share", 1.0), seen);
    }
}
