using Verdict.Experimentation.Analysis;

namespace Verdict.Experimentation.Experiments;

/// <summary>
/// The A/A → A/B → decide → promote (or roll back) lifecycle, with its guards. Every change is a
/// read-check-write on the definition's ETag, so two people (or processes) racing the same change cannot
/// both win: the second gets an <see cref="ExperimentConflictException"/>.
/// </summary>
/// <param name="store">Where definitions and champion slots live.</param>
/// <param name="modelExists">Whether a model reference is published (checked on create for model experiments); null skips the check.</param>
/// <param name="time">Clock for the recorded times.</param>
public sealed class ExperimentLifecycle(ExperimentStore store, Func<string, CancellationToken, Task<bool>>? modelExists = null, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Validates a definition, plans its sample size and stores it as a draft.</summary>
    /// <exception cref="ExperimentDefinitionException">The definition is invalid or names a model that is not published.</exception>
    /// <exception cref="ExperimentConflictException">The id is taken.</exception>
    public async Task<StoredExperiment> CreateAsync(ExperimentDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var draft = definition with
        {
            Phase = ExperimentPhase.Draft,
            PrimaryMetrics = definition.PrimaryMetrics.Count > 0 ? definition.PrimaryMetrics
                : [.. Analysis.Metrics.Of(definition.Kind).Where(m => m.Primary).Select(m => m.Name)],
            History = [],
            Winner = null,
        };
        ExperimentValidation.Validate(draft);
        if (modelExists is not null && draft.Kind == ExperimentKind.Model)
        {
            var missing = new List<string>();
            for (int i = 0; i < draft.Arms.Count; i++)
            {
                if (!await modelExists(draft.Arms[i].Serves, cancellationToken).ConfigureAwait(false))
                {
                    missing.Add($"arms[{i}].serves '{draft.Arms[i].Serves}' is not a published model");
                }
            }
            var shadows = draft.ShadowModels ?? [];
            for (int i = 0; i < shadows.Count; i++)
            {
                if (!await modelExists(shadows[i], cancellationToken).ConfigureAwait(false))
                {
                    missing.Add($"shadowModels[{i}] '{shadows[i]}' is not a published model");
                }
            }
            if (missing.Count > 0)
            {
                throw new ExperimentDefinitionException(missing);
            }
        }
        var plan = PowerPlanner.Plan(new PowerQuestion(PowerMetric.Proportion, draft.Baseline, null, draft.MinimumDetectableEffect, null, draft.Alpha, draft.Power));
        return await store.CreateAsync(draft with { PlannedUnitsPerArm = (long)Math.Ceiling(plan.UnitsPerArm) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>draft → aa: units are split by weight, every arm serves the control.</summary>
    public Task<StoredExperiment> StartAaAsync(string id, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, ExperimentPhase.AA, null, false, d => d with { StartedAt = _time.GetUtcNow() }, cancellationToken);

    /// <summary>
    /// aa → ab, only when the A/A analysis passed; <paramref name="forceReason"/> overrides the guard and is recorded.
    /// </summary>
    /// <param name="id">Experiment id.</param>
    /// <param name="aaCheck">The analysis of the A/A phase (<c>verdict analyze --phase aa</c>); null when none was run.</param>
    /// <param name="forceReason">Why the guard is overridden; null to enforce it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ExperimentDefinitionException">The A/A check did not pass and no reason to force was given.</exception>
    public Task<StoredExperiment> StartAbAsync(string id, AnalysisResult? aaCheck, string? forceReason = null, CancellationToken cancellationToken = default)
    {
        string status = aaCheck?.Verdict.Status ?? "not run";
        bool passed = status == "aa-passed";
        if (!passed && string.IsNullOrWhiteSpace(forceReason))
        {
            throw new ExperimentDefinitionException(
                $"phase: the A/A check of '{id}' has not passed ({status}{(aaCheck is null ? "" : ": " + aaCheck.Verdict.Summary)}); pass --force with a reason to start the A/B test anyway");
        }
        return ChangeAsync(id, ExperimentPhase.AB, passed ? null : forceReason, !passed, d => d, cancellationToken);
    }

    /// <summary>ab → decided, recording the winning arm (null: no winner; the control keeps serving).</summary>
    /// <exception cref="ExperimentDefinitionException">The winner names no arm.</exception>
    public Task<StoredExperiment> DecideAsync(string id, string? winner, string? reason = null, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, ExperimentPhase.Decided, reason, false, d =>
        {
            if (winner is not null && d.Arms.All(a => a.Name != winner))
            {
                throw new ExperimentDefinitionException($"winner '{winner}' names no arm of '{d.Id}' ({string.Join(", ", d.Arms.Select(a => a.Name))})");
            }
            return d with { Winner = winner, StoppedAt = _time.GetUtcNow() };
        }, cancellationToken);

    /// <summary>decided → promoted: the winner's model becomes the champion of the experiment's slot.</summary>
    /// <remarks>
    /// Two blobs change, the slot and then the experiment, each under its ETag, and the slot records which experiment
    /// wrote it. A failure between the two writes leaves the experiment decided with the slot already promoted by it; a
    /// retry sees that, leaves the slot alone and finishes. So no failure leaves the slot serving one thing while the
    /// experiment says another, beyond the next retry.
    /// </remarks>
    /// <exception cref="ExperimentDefinitionException">No winner was recorded.</exception>
    public async Task<StoredExperiment> PromoteAsync(string id, CancellationToken cancellationToken = default)
    {
        var current = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var d = current.Definition;
        ExperimentValidation.CheckPhaseChange(d, ExperimentPhase.Promoted);
        var winner = d.Arms.FirstOrDefault(a => a.Name == d.Winner)
            ?? throw new ExperimentDefinitionException($"winner: '{id}' was decided without a winner; there is nothing to promote");
        var slot = await store.GetSlotAsync(d.SlotName, cancellationToken).ConfigureAwait(false);
        if (slot?.Slot.PromotedBy != d.Id)
        {
            string previous = slot?.Slot.Champion ?? d.Arms.First(a => a.Name == d.ControlArm).Serves;
            var promoted = new ChampionSlot(d.SlotName, winner.Serves, [previous, .. slot?.Slot.Previous ?? []]) { PromotedBy = d.Id };
            await store.WriteSlotAsync(promoted, slot?.ETag, cancellationToken).ConfigureAwait(false);
        }
        return await ChangeAsync(current, ExperimentPhase.Promoted, null, false, x => x, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>promoted → rolled-back: the slot's previous champion serves again.</summary>
    /// <remarks>
    /// The slot is restored only while this experiment's promotion is what it serves: after a later promotion it belongs
    /// to that one and is left alone. As with <see cref="PromoteAsync"/> the slot changes first and records the change, so
    /// a retry after a failure between the two writes finds it restored and only moves the experiment.
    /// </remarks>
    public async Task<StoredExperiment> RollbackAsync(string id, string? reason = null, CancellationToken cancellationToken = default)
    {
        var current = await GetAsync(id, cancellationToken).ConfigureAwait(false);
        var d = current.Definition;
        ExperimentValidation.CheckPhaseChange(d, ExperimentPhase.RolledBack);
        var found = await store.GetSlotAsync(d.SlotName, cancellationToken).ConfigureAwait(false);
        var slot = found?.Slot;
        bool ours = slot is not null && slot.RestoredBy != d.Id && (slot.PromotedBy is { } by
            ? by == d.Id
            : slot.Champion == d.Arms.FirstOrDefault(a => a.Name == d.Winner)?.Serves); // a slot promoted before promotions were recorded
        if (slot is null || (ours && slot.Previous.Count == 0))
        {
            throw new ExperimentDefinitionException($"slot: '{d.SlotName}' has no previous champion to restore");
        }
        if (ours)
        {
            var restored = new ChampionSlot(slot.Slot, slot.Previous[0], [.. slot.Previous.Skip(1)]) { RestoredBy = d.Id };
            await store.WriteSlotAsync(restored, found!.Value.ETag, cancellationToken).ConfigureAwait(false);
        }
        return await ChangeAsync(current, ExperimentPhase.RolledBack, reason, false, x => x, cancellationToken).ConfigureAwait(false);
    }

    private async Task<StoredExperiment> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ExperimentDefinitionException($"id: there is no experiment '{id}'");

    private async Task<StoredExperiment> ChangeAsync(string id, ExperimentPhase to, string? reason, bool forced,
        Func<ExperimentDefinition, ExperimentDefinition> update, CancellationToken cancellationToken) =>
        await ChangeAsync(await GetAsync(id, cancellationToken).ConfigureAwait(false), to, reason, forced, update, cancellationToken).ConfigureAwait(false);

    private async Task<StoredExperiment> ChangeAsync(StoredExperiment current, ExperimentPhase to, string? reason, bool forced,
        Func<ExperimentDefinition, ExperimentDefinition> update, CancellationToken cancellationToken)
    {
        var d = current.Definition;
        ExperimentValidation.CheckPhaseChange(d, to);
        var changed = update(d) with
        {
            Phase = to,
            History = [.. d.History, new PhaseChange(d.Phase, to, _time.GetUtcNow(), reason, forced)],
        };
        return await store.ReplaceAsync(changed, current.ETag, cancellationToken).ConfigureAwait(false);
    }
}
