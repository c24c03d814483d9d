using System.Text.Json;
using Azure.Storage.Blobs;
using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Experiments;

/// <summary>What the autopilot did with one experiment on one pass.</summary>
/// <param name="Experiment">Experiment id.</param>
/// <param name="Action"><c>start-ab</c>, <c>stop</c>, <c>promote</c>, or <c>none</c>.</param>
/// <param name="Status">The verdict it acted on (or why it could not analyse: <c>no-log</c>).</param>
/// <param name="Detail">The verdict's summary, or what went wrong.</param>
public sealed record AutopilotStep(string Experiment, string Action, string Status, string Detail);

/// <summary>
/// Advances experiments by the rules they declare (<see cref="ExperimentDefinition.Automation"/>): analyses each
/// running one, then starts the A/B test when the A/A check passes, stops an A/B test whose challenger breaks a
/// guardrail, and decides and promotes a winner. A timer calls <see cref="RunOnceAsync"/>.
/// </summary>
/// <remarks>
/// Each action writes its audit entry (the analysis that justified it) under a name fixed by the step, then makes the
/// phase change through <see cref="ExperimentLifecycle"/>, which checks the phase and the ETag. A pass that fails
/// anywhere is safe to run again: the next pass finds the experiment in the phase it reached, rewrites the same audit
/// entry if the change had not happened, and finishes a promotion left decided.
/// </remarks>
public sealed class ExperimentAutopilot
{
    /// <summary>The actions, as <see cref="AutopilotStep.Action"/> and the audit log name them.</summary>
    public const string StartAb = "start-ab", Stop = "stop", Promote = "promote", None = "none";

    private readonly ExperimentStore _store;
    private readonly ExperimentLifecycle _lifecycle;
    private readonly string _events;
    private readonly BlobServiceClient? _blobs;
    private readonly TimeProvider _time;

    /// <summary>An autopilot over <paramref name="store"/>, analysing the log at <paramref name="events"/> (<c>log://events</c>).</summary>
    public ExperimentAutopilot(ExperimentStore store, string events, BlobServiceClient? blobs, TimeProvider? time = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        ArgumentException.ThrowIfNullOrEmpty(events);
        _events = events;
        _blobs = blobs;
        _time = time ?? TimeProvider.System;
        _lifecycle = new ExperimentLifecycle(store, time: _time);
    }

    /// <summary>One pass over every experiment that declares automation.</summary>
    public async Task<IReadOnlyList<AutopilotStep>> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var steps = new List<AutopilotStep>();
        foreach (var stored in await _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var d = stored.Definition;
            if (d.Automation is not { } rules || d.Kind != ExperimentKind.Model)
            {
                continue;
            }
            try
            {
                steps.Add(await StepAsync(d, rules, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is ExperimentConflictException or ExperimentDefinitionException)
            {
                // Someone else moved the experiment meanwhile (a person, or another instance's pass): the next pass sees where it is.
                steps.Add(new AutopilotStep(d.Id, None, "conflict", ex.Message));
            }
        }
        return steps;
    }

    private async Task<AutopilotStep> StepAsync(ExperimentDefinition d, ExperimentAutomation rules, CancellationToken cancellationToken) =>
        d.Phase switch
            {
                ExperimentPhase.AA when rules.StartAb => await AdvanceAaAsync(d, cancellationToken).ConfigureAwait(false),
                ExperimentPhase.AB when rules.StopOnGuardrailBreach || rules.PromoteWinner => await AdvanceAbAsync(d, rules, cancellationToken).ConfigureAwait(false),
                ExperimentPhase.Decided when rules.PromoteWinner && d.Winner is { } w && w != d.ControlArm && Audited(d) =>
                    await FinishPromotionAsync(d, cancellationToken).ConfigureAwait(false),
                _ => new AutopilotStep(d.Id, None, ExperimentValidation.PhaseName(d.Phase), "nothing to do in this phase"),
            };

    private async Task<AutopilotStep> AdvanceAaAsync(ExperimentDefinition d, CancellationToken ct)
    {
        if (await AnalyseAsync(d, EventPhase.AA, ct).ConfigureAwait(false) is not { } r)
        {
            return new AutopilotStep(d.Id, None, "no-log", "the A/A phase has no events yet");
        }
        if (r.Verdict.Status != "aa-passed")
        {
            return new AutopilotStep(d.Id, None, r.Verdict.Status, r.Verdict.Summary);
        }
        await AuditAsync(d, StartAb, ExperimentPhase.AB, r, ct).ConfigureAwait(false);
        await _lifecycle.StartAbAsync(d.Id, r, cancellationToken: ct).ConfigureAwait(false);
        return new AutopilotStep(d.Id, StartAb, r.Verdict.Status, r.Verdict.Summary);
    }

    private async Task<AutopilotStep> AdvanceAbAsync(ExperimentDefinition d, ExperimentAutomation rules, CancellationToken ct)
    {
        if (await AnalyseAsync(d, EventPhase.AB, ct).ConfigureAwait(false) is not { } r)
        {
            return new AutopilotStep(d.Id, None, "no-log", "the A/B phase has no events yet");
        }
        string status = r.Verdict.Status;
        if (status == "ab-guardrail-breached" && rules.StopOnGuardrailBreach)
        {
            string audit = await AuditAsync(d, Stop, ExperimentPhase.Decided, r, ct).ConfigureAwait(false);
            await _lifecycle.DecideAsync(d.Id, null, $"autopilot: {status} ({audit})", ct).ConfigureAwait(false);
            return new AutopilotStep(d.Id, Stop, status, r.Verdict.Summary);
        }
        if (status == "ab-winner" && rules.PromoteWinner && r.Verdict.Winner is { } winner && winner != d.ControlArm)
        {
            string audit = await AuditAsync(d, Promote, ExperimentPhase.Promoted, r, ct).ConfigureAwait(false);
            var decided = await _lifecycle.DecideAsync(d.Id, winner, $"autopilot: {status} ({audit})", ct).ConfigureAwait(false);
            return await FinishPromotionAsync(decided.Definition, ct, r).ConfigureAwait(false);
        }
        return new AutopilotStep(d.Id, None, status, r.Verdict.Summary);
    }

    /// <summary>decided → promoted for a decision the autopilot made (a pass that failed between the two finishes here).</summary>
    private async Task<AutopilotStep> FinishPromotionAsync(ExperimentDefinition d, CancellationToken ct, AnalysisResult? r = null)
    {
        await _lifecycle.PromoteAsync(d.Id, ct).ConfigureAwait(false);
        return new AutopilotStep(d.Id, Promote, r?.Verdict.Status ?? "ab-winner", r?.Verdict.Summary ?? $"{d.Winner} promoted into slot '{d.SlotName}'");
    }

    /// <summary>Whether the experiment's decision was the autopilot's (a manual decision is left for a person to promote).</summary>
    private static bool Audited(ExperimentDefinition d) =>
        d.History.LastOrDefault(h => h.To == ExperimentPhase.Decided)?.Reason?.StartsWith("autopilot:", StringComparison.Ordinal) == true;

    /// <summary>The experiment's phase changes joined with the autopilot's audit entries: the timeline a report shows.</summary>
    public static IReadOnlyList<LifecycleStep> Timeline(ExperimentDefinition definition, IReadOnlyList<AuditEntry> audit)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(audit);
        var steps = new List<LifecycleStep>();
        bool autopilotDecided = false;
        foreach (var h in definition.History)
        {
            // A promotion's audit entry covers both of its changes: ab → decided and decided → promoted.
            var entry = audit.FirstOrDefault(a => a.From == h.From && a.To == h.To)
                ?? audit.FirstOrDefault(a => a.Action == Promote && ((h.From == ExperimentPhase.AB && h.To == ExperimentPhase.Decided) || (h.To == ExperimentPhase.Promoted && autopilotDecided)));
            bool autopilot = entry is not null || h.Reason?.StartsWith("autopilot:", StringComparison.Ordinal) == true;
            autopilotDecided = h.To == ExperimentPhase.Decided ? autopilot : autopilotDecided;
            steps.Add(new LifecycleStep(h.At, ExperimentValidation.PhaseName(h.From), ExperimentValidation.PhaseName(h.To), autopilot ? "autopilot" : "person", h.Reason, h.Forced, entry?.Status));
        }
        return steps;
    }

    private async Task<AnalysisResult?> AnalyseAsync(ExperimentDefinition d, EventPhase phase, CancellationToken ct)
    {
        try
        {
            return await ExperimentAnalysis.RunAsync(AnalysisRequest.For(d, [_events]) with { Phase = phase, BlobService = _blobs }, ct).ConfigureAwait(false);
        }
        catch (EventLogException)
        {
            return null;
        }
    }

    private async Task<string> AuditAsync(ExperimentDefinition d, string action, ExperimentPhase to, AnalysisResult r, CancellationToken ct)
    {
        using var analysis = JsonDocument.Parse(AnalysisFormats.ToJson(r));
        var entry = new AuditEntry(d.Id, action, d.Phase, to, _time.GetUtcNow(), r.Verdict.Status, r.Verdict.Summary, analysis.RootElement.Clone());
        return await _store.WriteAuditAsync(entry, ct).ConfigureAwait(false);
    }
}
