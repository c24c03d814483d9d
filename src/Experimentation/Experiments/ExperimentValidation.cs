using System.Globalization;
using System.Text.RegularExpressions;

namespace Verdict.Experimentation.Experiments;

/// <summary>The rules an experiment definition and a phase change must follow; every problem names its field.</summary>
public static partial class ExperimentValidation
{
    /// <summary>Metrics a model experiment can decide on.</summary>
    public static readonly IReadOnlyList<string> ModelMetrics = [.. Analysis.Metrics.Of(ExperimentKind.Model).Select(m => m.Name)];

    /// <summary>Metrics a template experiment can decide on.</summary>
    public static readonly IReadOnlyList<string> TemplateMetrics = [.. Analysis.Metrics.Of(ExperimentKind.Template).Select(m => m.Name)];

    /// <summary>The most shadow models an experiment may name.</summary>
    public const int MaxShadowModels = 4;

    private const double WeightTolerance = 1e-9;

    /// <summary>Every problem with the definition, each naming its field; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(ExperimentDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var problems = new List<string>();
        var c = CultureInfo.InvariantCulture;
        if (definition.Id is null || !IdPattern().IsMatch(definition.Id))
        {
            problems.Add($"id '{definition.Id}' must be 3–63 lower-case letters, digits or '-', starting and ending with a letter or digit");
        }
        var arms = definition.Arms ?? [];
        if (arms.Count < 2)
        {
            problems.Add("arms: an experiment needs at least two arms");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < arms.Count; i++)
        {
            var arm = arms[i];
            if (string.IsNullOrWhiteSpace(arm.Name))
            {
                problems.Add($"arms[{i}].name is empty");
            }
            else if (!seen.Add(arm.Name))
            {
                problems.Add($"arms[{i}].name '{arm.Name}' is used twice");
            }
            if (!(arm.Weight > 0 && arm.Weight <= 1))
            {
                problems.Add(string.Create(c, $"arms[{i}].weight {arm.Weight} must be in (0, 1]"));
            }
            if (string.IsNullOrWhiteSpace(arm.Serves))
            {
                problems.Add($"arms[{i}].serves is empty");
            }
            else if (definition.Kind == ExperimentKind.Model && !ModelReferencePattern().IsMatch(arm.Serves))
            {
                problems.Add($"arms[{i}].serves '{arm.Serves}' must be a pinned model reference name@version");
            }
        }
        double sum = arms.Sum(a => a.Weight);
        if (arms.Count > 0 && Math.Abs(sum - 1) > WeightTolerance)
        {
            problems.Add(string.Create(c, $"arms: the weights sum to {sum:0.######}; they must sum to 1"));
        }
        if (definition.Control is { } control && arms.All(a => a.Name != control))
        {
            problems.Add($"control '{control}' names no arm");
        }
        var known = definition.Kind == ExperimentKind.Model ? ModelMetrics : TemplateMetrics;
        for (int i = 0; i < definition.PrimaryMetrics.Count; i++)
        {
            if (!known.Contains(definition.PrimaryMetrics[i]))
            {
                problems.Add($"primaryMetrics[{i}] '{definition.PrimaryMetrics[i]}' is not a {definition.Kind.ToString().ToLowerInvariant()} metric ({string.Join(", ", known)})");
            }
        }
        var shadows = definition.ShadowModels ?? [];
        if (shadows.Count > 0 && definition.Kind != ExperimentKind.Model)
        {
            problems.Add("shadowModels: only a model experiment can shadow");
        }
        if (shadows.Count > MaxShadowModels)
        {
            problems.Add($"shadowModels: at most {MaxShadowModels} shadow models; each one scores every email again");
        }
        var shadowSeen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < shadows.Count; i++)
        {
            if (shadows[i] is not { } shadow || !ModelReferencePattern().IsMatch(shadow))
            {
                problems.Add($"shadowModels[{i}] '{shadows[i]}' must be a pinned model reference name@version");
            }
            else if (!shadowSeen.Add(shadow))
            {
                problems.Add($"shadowModels[{i}] '{shadow}' is named twice");
            }
        }
        var guardrails = definition.Guardrails ?? [];
        for (int i = 0; i < guardrails.Count; i++)
        {
            if (Analysis.GuardrailCheck.Problem([guardrails[i]], definition.Kind) is { } problem)
            {
                problems.Add($"guardrails[{i}]{problem["guardrails".Length..]}");
            }
        }
        if (definition.Alpha is not (> 0 and <= 0.5))
        {
            problems.Add(string.Create(c, $"alpha {definition.Alpha} must be in (0, 0.5]"));
        }
        if (definition.Power is not (> 0 and < 1))
        {
            problems.Add(string.Create(c, $"power {definition.Power} must be in (0, 1)"));
        }
        if (definition.Baseline is not (> 0 and < 1))
        {
            problems.Add(string.Create(c, $"baseline {definition.Baseline} must be a rate in (0, 1)"));
        }
        if (definition.MinimumDetectableEffect <= 0 || definition.Baseline + definition.MinimumDetectableEffect >= 1)
        {
            problems.Add(string.Create(c, $"minimumDetectableEffect {definition.MinimumDetectableEffect} must be > 0 and leave baseline + effect below 1"));
        }
        if (string.IsNullOrWhiteSpace(definition.Seed))
        {
            problems.Add("seed is empty");
        }
        return problems;
    }

    /// <summary>Throws when the definition has any problem.</summary>
    /// <exception cref="ExperimentDefinitionException">Listing every problem.</exception>
    public static void Validate(ExperimentDefinition definition)
    {
        var problems = Problems(definition);
        if (problems.Count > 0)
        {
            throw new ExperimentDefinitionException(problems);
        }
    }

    /// <summary>The phase that must come before <paramref name="to"/>.</summary>
    public static ExperimentPhase Before(ExperimentPhase to) => to switch
    {
        ExperimentPhase.AA => ExperimentPhase.Draft,
        ExperimentPhase.AB => ExperimentPhase.AA,
        ExperimentPhase.Decided => ExperimentPhase.AB,
        ExperimentPhase.Promoted => ExperimentPhase.Decided,
        ExperimentPhase.RolledBack => ExperimentPhase.Promoted,
        _ => throw new ArgumentOutOfRangeException(nameof(to), to, "no phase change leads to draft"),
    };

    /// <summary>Throws unless the experiment can move from its phase to <paramref name="to"/> (no step skipped).</summary>
    /// <exception cref="ExperimentDefinitionException">The change skips or repeats a step.</exception>
    public static void CheckPhaseChange(ExperimentDefinition definition, ExperimentPhase to)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var from = definition.Phase;
        var needed = Before(to);
        if (from != needed)
        {
            throw new ExperimentDefinitionException(
                $"phase: '{definition.Id}' is {PhaseName(from)}; it must be {PhaseName(needed)} to move to {PhaseName(to)}");
        }
    }

    /// <summary>The phase as written in definitions and on the command line (<c>aa</c>, <c>rolled-back</c>).</summary>
    public static string PhaseName(ExperimentPhase phase) => phase switch
    {
        ExperimentPhase.Draft => "draft",
        ExperimentPhase.AA => "aa",
        ExperimentPhase.AB => "ab",
        ExperimentPhase.Decided => "decided",
        ExperimentPhase.Promoted => "promoted",
        ExperimentPhase.RolledBack => "rolled-back",
        _ => phase.ToString(),
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}@[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex ModelReferencePattern();
}
