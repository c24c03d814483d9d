using System.Reflection;

namespace Verdict.Cli.Tests;

public sealed class ArchitectureTests
{
    private static readonly Assembly Scoring = typeof(Verdict.Scoring.IIntentScorer).Assembly;
    private static readonly Assembly Training = typeof(Verdict.Training.IntentTrainer).Assembly;
    private static readonly Assembly Experimentation = typeof(Verdict.Experimentation.Analysis.ExperimentAnalysis).Assembly;

    [Fact]
    public void PublicLibraryTypes_AreSealedRecordsInterfacesEnumsStaticOrClosedHierarchies()
    {
        // A closed hierarchy: an abstract base with an internal abstract member, which no other assembly can implement.
        static bool Closed(Type t) => t.IsAbstract && t.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic).Any(m => m.IsAbstract && m.IsAssembly);
        var offenders = new[] { Scoring, Training, Experimentation }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !(t.IsInterface || t.IsEnum || t.IsValueType || t.IsSealed || Closed(t)))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Scoring_DependsOnNoOtherVerdictLibraryNorAspNetCore()
    {
        var references = Scoring.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, r => r.StartsWith("Verdict.", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void Training_DependsOnlyOnScoringAmongVerdictLibraries()
    {
        var references = Training.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Verdict.", StringComparison.Ordinal));
        Assert.Equal(["Verdict.Scoring"], references);
    }

    [Fact]
    public void Experimentation_DependsOnNoOtherVerdictLibraryNorAspNetCore()
    {
        var references = Experimentation.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, r => r.StartsWith("Verdict.", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
