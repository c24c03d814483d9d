using System.Globalization;
using System.Text.Json;

namespace Verdict.Experimentation.Tests.Events;

/// <summary>
/// The event log's reading rules (docs/analyze.md, "Reading the log") written as plainly as possible: one
/// <see cref="JsonDocument"/> per line, strings everywhere, dictionaries keyed by id and unit, no hashing, no
/// threads. Slow and obviously right; <see cref="EventLogReaderDifferentialTests"/> pins the fast reader to it.
/// </summary>
internal sealed class ReferenceReader(string experiment, DateTimeOffset? asOf, DateTimeOffset? since, bool excludeFallbacks, IReadOnlySet<string> positiveIntents)
{
    private static readonly HashSet<string> StringFields = ["type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "model", "phase"];

    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);

    public long Lines { get; private set; }

    public long Malformed { get; private set; }

    public long UnknownTypes { get; private set; }

    public long OtherExperiments { get; private set; }

    public long AfterAsOf { get; private set; }

    public long BeforeSince { get; private set; }

    public long DuplicateExposures { get; private set; }

    public long DuplicateOutcomes { get; private set; }

    public sealed class Entry
    {
        public bool Exposed, Template, Fallback, Outcome, Labelled, Timed, Replied, Positive;
        public DateTimeOffset ExposureTs, OutcomeTs;
        public string Experiment = "", Arm = "", Unit = "", Intent = "", TrueIntent = "", Model = "", Phase = "";
        public double Confidence = double.NaN, Handling, Covariate = double.NaN;
    }

    public void ReadLine(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }
        Lines++;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            Malformed++;
            return;
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !Read(doc.RootElement))
            {
                Malformed++;
            }
        }
    }

    /// <summary>False when the line is malformed.</summary>
    private bool Read(JsonElement o)
    {
        var f = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in o.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            switch (p.Name)
            {
                case "handlingSeconds" when p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() < 0:
                case "covariate" when p.Value.ValueKind != JsonValueKind.Number:
                case "confidence" when p.Value.ValueKind != JsonValueKind.Number || p.Value.GetDouble() is < 0 or > 1:
                case "fallback" when p.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False):
                    return false;
                case var name when StringFields.Contains(name) && p.Value.ValueKind != JsonValueKind.String:
                    return false;
                case "ts" when !TryTimestamp(p.Value.GetString()!, out _):
                    return false;
                case "phase" when p.Value.GetString() is not ("aa" or "ab"):
                    return false;
                default:
                    f[p.Name] = p.Value;
                    break;
            }
        }
        string? S(string name) => f.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        string? type = S("type");
        if (type is null)
        {
            return false;
        }
        if (type is not ("scored" or "outcome" or "assigned" or "reply"))
        {
            UnknownTypes++;
            return true;
        }
        string? id = S("id");
        if (string.IsNullOrEmpty(id) || S("ts") is not { } tsText)
        {
            return false;
        }
        bool exposure = type is "scored" or "assigned";
        if (exposure && (string.IsNullOrEmpty(S("experiment")) || string.IsNullOrEmpty(S("arm"))))
        {
            return false;
        }
        if (type is "scored" or "reply" && S("intent") is null)
        {
            return false;
        }
        if (type == "assigned" && S("unit") is null)
        {
            return false;
        }
        TryTimestamp(tsText, out var ts);
        if (ts > asOf)
        {
            AfterAsOf++;
            return true;
        }
        if (ts < since)
        {
            BeforeSince++;
            return true;
        }
        if (exposure && S("experiment") != experiment)
        {
            OtherExperiments++;
            return true;
        }

        if (!_byId.TryGetValue(id, out var e))
        {
            _byId[id] = e = new Entry();
        }
        if (exposure)
        {
            if (e.Exposed)
            {
                DuplicateExposures++;
                if (ts >= e.ExposureTs)
                {
                    return true;
                }
            }
            e.Exposed = true;
            e.Template |= type == "assigned";
            e.Fallback = f.TryGetValue("fallback", out var fb) && fb.ValueKind == JsonValueKind.True;
            e.ExposureTs = ts;
            e.Experiment = S("experiment")!;
            e.Arm = S("arm")!;
            e.Unit = S("unit") is { } unit ? "unit:" + unit : "id:" + id;
            e.Phase = S("phase") ?? "";
            e.Intent = S("intent") ?? "";
            e.Model = S("model") ?? "";
            e.Confidence = f.TryGetValue("confidence", out var c) ? c.GetDouble() : double.NaN;
            return true;
        }
        if (type == "reply")
        {
            e.Replied = true;
            e.Positive |= positiveIntents.Contains(S("intent")!);
            return true;
        }
        if (e.Outcome)
        {
            DuplicateOutcomes++;
            if (ts < e.OutcomeTs)
            {
                return true;
            }
        }
        e.Outcome = true;
        e.OutcomeTs = ts;
        e.Labelled = S("trueIntent") is not null;
        e.TrueIntent = S("trueIntent") ?? "";
        e.Timed = f.TryGetValue("handlingSeconds", out var h);
        e.Handling = e.Timed ? h.GetDouble() : 0;
        e.Covariate = f.TryGetValue("covariate", out var x) ? x.GetDouble() : double.NaN;
        return true;
    }

    private static bool TryTimestamp(string text, out DateTimeOffset ts) =>
        DateTimeOffset.TryParseExact(text, ["yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out ts);

    /// <summary>The selected exposures and what the aggregation makes of them, as plain collections.</summary>
    public Summary Summarize(string phase)
    {
        var all = _byId.Values.ToList();
        var selected = all.Where(e => e.Exposed && e.Experiment == experiment && (phase == "" || e.Phase == phase)).ToList();
        var kept = selected.Where(e => !(excludeFallbacks && e.Fallback)).ToList();
        var armsOfUnit = kept.GroupBy(e => e.Unit).ToDictionary(g => g.Key, g => g.Select(e => e.Arm).Distinct().ToList());
        bool several = kept.GroupBy(e => e.Unit).Any(g => g.Count() > 1);
        var counted = kept.Where(e => armsOfUnit[e.Unit].Count == 1).ToList();
        return new Summary
        {
            Orphans = all.LongCount(e => !e.Exposed && (e.Outcome || e.Replied)),
            Fallbacks = selected.LongCount(e => e.Fallback),
            UnitsInSeveralArms = armsOfUnit.LongCount(kv => kv.Value.Count > 1),
            Several = several,
            Template = kept.Any(e => e.Template),
            First = kept.Count == 0 ? null : kept.Min(e => e.ExposureTs),
            Last = kept.Count == 0 ? null : kept.Max(e => e.ExposureTs),
            Emails = counted,
            UnitsPerArm = armsOfUnit.Where(kv => kv.Value.Count == 1).GroupBy(kv => kv.Value[0]).ToDictionary(g => g.Key, g => (long)g.Count()),
        };
    }

    public sealed class Summary
    {
        public long Orphans, Fallbacks, UnitsInSeveralArms;
        public bool Several, Template;
        public DateTimeOffset? First, Last;
        public required List<Entry> Emails;
        public required Dictionary<string, long> UnitsPerArm;
    }
}
