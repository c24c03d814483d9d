using System.Reflection;

namespace Verdict.Serving.Tests;

/// <summary>The core stays host-free: it references no web, queue or Functions assembly, and its public surface is closed.</summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Serving = typeof(EmailService).Assembly;

    [Fact]
    public void Serving_ReferencesNoHttpQueueOrFunctionsAssembly()
    {
        var references = Serving.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Azure.Storage.Queues", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Verdict.Functions", StringComparison.Ordinal));
        Assert.Contains("Verdict.Scoring", references);
        Assert.Contains("Verdict.Experimentation", references);
    }

    [Fact]
    public void PublicTypes_AreSealedRecordsInterfacesEnumsValueTypesOrStatic()
    {
        var offenders = Serving.GetExportedTypes()
            .Where(t => !(t.IsInterface || t.IsEnum || t.IsValueType || t.IsSealed))
            .Select(t => t.FullName)
            .ToList();

        Assert.Empty(offenders);
    }
}
