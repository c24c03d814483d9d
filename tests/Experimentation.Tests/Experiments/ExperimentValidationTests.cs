using Verdict.Experimentation.Analysis;
using Verdict.Experimentation.Experiments;

namespace Verdict.Experimentation.Tests.Experiments;

public sealed class ExperimentValidationTests
{
    [Fact]
    public void Problems_ValidDefinition_IsEmpty()
    {
        Assert.Empty(ExperimentValidation.Problems(ExperimentTestData.Model("exp-1")));
    }

    [Fact]
    public void Problems_WeightsNotSummingToOne_NamesTheArms()
    {
        var d = ExperimentTestData.Model("exp-1") with { Arms = [new("a", 0.5, "m@1"), new("b", 0.4, "m@2")] };
        Assert.Equal(["arms: the weights sum to 0.9; they must sum to 1"], ExperimentValidation.Problems(d));
    }

    [Fact]
    public void Problems_DuplicateArmName_NamesTheSecond()
    {
        var d = ExperimentTestData.Model("exp-1") with { Arms = [new("a", 0.5, "m@1"), new("a", 0.5, "m@2")] };
        Assert.Equal(["arms[1].name 'a' is used twice"], ExperimentValidation.Problems(d));
    }

    [Fact]
    public void Problems_UnpinnedModelAndBadId_AreEachNamed()
    {
        var d = ExperimentTestData.Model("Exp_1") with { Arms = [new("a", 0.5, "m"), new("b", 0.5, "m@2")] };
        var problems = ExperimentValidation.Problems(d);
        Assert.Contains(problems, p => p.StartsWith("id 'Exp_1'", StringComparison.Ordinal));
        Assert.Contains("arms[0].serves 'm' must be a pinned model reference name@version", problems);
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void Problems_GuardrailsOfTheWrongKindOrMargin_AreEachNamedByIndex()
    {
        var d = ExperimentTestData.Model("exp-1") with { Guardrails = [new("accuracy", 0.01), new("replyRate", 0.01), new("handlingSeconds", 1.5)] };
        Assert.Equal(
            [
                "guardrails[1]: 'replyRate' is not a metric of model experiments (accuracy, handlingSeconds)",
                "guardrails[2]: the margin of handlingSeconds must be in (0, 1), in relative change of the geometric mean (0.05 = 5 % longer)",
            ],
            ExperimentValidation.Problems(d));
    }

    [Theory]
    [InlineData(ExperimentPhase.Draft, ExperimentPhase.AB, "phase: 'exp-1' is draft; it must be aa to move to ab")]
    [InlineData(ExperimentPhase.AA, ExperimentPhase.Promoted, "phase: 'exp-1' is aa; it must be decided to move to promoted")]
    [InlineData(ExperimentPhase.AB, ExperimentPhase.AB, "phase: 'exp-1' is ab; it must be aa to move to ab")]
    public void CheckPhaseChange_SkippingOrRepeatingAStep_IsRejectedNamingPhase(ExperimentPhase from, ExperimentPhase to, string message)
    {
        var d = ExperimentTestData.Model("exp-1") with { Phase = from };
        var ex = Assert.Throws<ExperimentDefinitionException>(() => ExperimentValidation.CheckPhaseChange(d, to));
        Assert.Equal(message, ex.Message);
    }
}
