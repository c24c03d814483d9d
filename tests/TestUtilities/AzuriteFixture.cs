using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Storage.Blobs;

namespace Verdict.TestUtilities;

/// <summary>
/// A real Azurite server on free ports with in-memory storage, started once per test collection.
/// Installed by <c>scripts/install-tools.sh</c>; a missing install fails the tests with that hint.
/// </summary>
public sealed partial class AzuriteFixture : IDisposable
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workspace;

    public AzuriteFixture()
    {
        if (!File.Exists(RepositoryPaths.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {RepositoryPaths.Azurite}; run scripts/install-tools.sh.");
        }
        _workspace = Path.Combine(Path.GetTempPath(), "verdict-azurite", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_workspace);
        var start = new ProcessStartInfo(RepositoryPaths.Azurite)
        {
            WorkingDirectory = _workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0", "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--skipApiVersionCheck", "--disableTelemetry", "--inMemoryPersistence", "--silent",
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ports.Count < 3)
        {
            var line = _process.StandardOutput.ReadLineAsync();
            if (!line.Wait(deadline - DateTime.UtcNow) || line.Result is null)
            {
                var errors = _process.HasExited ? _process.StandardError.ReadToEnd() : "";
                Dispose();
                throw new InvalidOperationException($"Azurite did not report its ports within 30 s. {errors}");
            }
            var match = ListeningLine().Match(line.Result);
            if (match.Success)
            {
                ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        BlobPort = ports["Blob"];
        QueuePort = ports["Queue"];
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{ports["Table"]}/devstoreaccount1;";
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public string ConnectionString { get; }

    /// <summary>A container client with short retries, so a failure shows in seconds, not after the SDK's 25 s of retries.</summary>
    public BlobContainerClient Container(string name)
    {
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        return new BlobContainerClient(ConnectionString, name, options);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_workspace, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
