namespace Verdict.TestUtilities;

/// <summary>Locations in the repository, found from the test binary upwards.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Azurite => Path.Combine(Root, "tools", "azurite", "node_modules", ".bin", "azurite");

    /// <summary>The queue client written with the Azure SDK for JavaScript, run with node (<c>scripts/clients/queue-client.cjs</c>).</summary>
    public static string QueueClientScript => Path.Combine(Root, "scripts", "clients", "queue-client.cjs");

    /// <summary>
    /// The built program of project <c>src/{project}</c> (<c>Verdict.{project}.dll</c>), in the configuration the
    /// tests run in, for tests that start it as a separate process. Fails the test when it is not built.
    /// </summary>
    public static string BuiltProgram(string project)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string dll = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", "linux-x64", $"Verdict.{project}.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is not built");
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Functions.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
