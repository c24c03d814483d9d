using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Verdict.Experimentation.Analysis;

namespace Verdict.Cli.Analysis;

/// <summary>
/// <c>verdict power</c>: units per arm for a planned effect, or, given units per arm, the achieved power (with an effect)
/// or the minimum detectable effect (without one). Proportions follow R's power.prop.test, durations power.t.test.
/// </summary>
internal static class PowerCommand
{
    public static Command Create()
    {
        var metric = new Option<string>("--metric") { Description = "proportion (accuracy, reply rates) or duration (handling seconds).", Required = true };
        metric.AcceptOnlyFromAmong("proportion", "duration");
        var baseline = new Option<double?>("--baseline") { Description = "Proportion: the control's rate, e.g. 0.80." };
        var sd = new Option<double?>("--sd") { Description = "Duration: the standard deviation of handling seconds." };
        var effect = new Option<double?>("--effect") { Description = "The difference to detect: rate points (0.02) or seconds (20)." };
        var n = new Option<double?>("--n") { Description = "Units per arm: report achieved power (with --effect) or the minimum detectable effect." };
        var alpha = new Option<double>("--alpha") { Description = "Two-sided significance level.", DefaultValueFactory = _ => 0.05 };
        var power = new Option<double>("--power") { Description = "Target power.", DefaultValueFactory = _ => 0.8 };
        var command = new Command("power", "Sample size, achieved power or minimum detectable effect for two equal arms.")
        {
            metric, baseline, sd, effect, n, alpha, power,
        };
        command.SetAction(parse =>
        {
            PowerAnswer answer;
            try
            {
                answer = PowerPlanner.Plan(new PowerQuestion(
                    parse.GetValue(metric) == "duration" ? PowerMetric.Duration : PowerMetric.Proportion,
                    parse.GetValue(baseline), parse.GetValue(sd), parse.GetValue(effect), parse.GetValue(n), parse.GetValue(alpha), parse.GetValue(power)));
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }
            Console.WriteLine(JsonSerializer.Serialize(answer, JsonOptions));
            return 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };
}
