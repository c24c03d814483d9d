using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;

namespace Verdict.TestUtilities;

/// <summary>
/// A real Azurite server on free ports with in-memory storage, started once per test collection.
/// Installed by <c>scripts/install-tools.sh</c>; a missing install fails the tests with that hint.
/// <see cref="WithOAuth"/> starts one on HTTPS that accepts Entra ID bearer tokens, as an account with
/// identity-based access does.
/// </summary>
public sealed partial class AzuriteFixture : IDisposable
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _workspace;

    public AzuriteFixture()
        : this(oauth: false)
    {
    }

    /// <summary>Azurite on HTTPS (a self-signed certificate for 127.0.0.1, in <see cref="CertificatePath"/>) with basic OAuth: tokens are checked for issuer, audience and lifetime, not signature.</summary>
    public static AzuriteFixture WithOAuth() => new(oauth: true);

    private AzuriteFixture(bool oauth)
    {
        if (!File.Exists(RepositoryPaths.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {RepositoryPaths.Azurite}; run scripts/install-tools.sh.");
        }
        _workspace = Path.Combine(Path.GetTempPath(), "verdict-azurite", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_workspace);
        string scheme = "http";
        var extra = new List<string>();
        if (oauth)
        {
            scheme = "https";
            Certificate = SelfSignedCertificate();
            CertificatePath = Path.Combine(_workspace, "cert.pem");
            File.WriteAllText(CertificatePath, Certificate.ExportCertificatePem());
            string keyPath = Path.Combine(_workspace, "key.pem");
            using (var key = Certificate.GetRSAPrivateKey()!)
            {
                File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
            }
            extra.AddRange(["--oauth", "basic", "--cert", CertificatePath, "--key", keyPath]);
        }
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
        }.Concat(extra))
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
        BlobServiceUri = new Uri($"{scheme}://127.0.0.1:{BlobPort}/devstoreaccount1");
        QueueServiceUri = new Uri($"{scheme}://127.0.0.1:{QueuePort}/devstoreaccount1");
        ConnectionString =
            $"DefaultEndpointsProtocol={scheme};AccountName=devstoreaccount1;AccountKey={AccountKey};" +
            $"BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};" +
            $"TableEndpoint={scheme}://127.0.0.1:{ports["Table"]}/devstoreaccount1;";
    }

    public Uri BlobServiceUri { get; }

    public Uri QueueServiceUri { get; }

    /// <summary>The HTTPS certificate (OAuth mode only).</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>The HTTPS certificate as PEM, for <c>SSL_CERT_FILE</c> of a process that must trust it (OAuth mode only).</summary>
    public string? CertificatePath { get; }

    /// <summary>An SDK transport that trusts this server's certificate (and only it), for clients in the test process.</summary>
    public HttpClientTransport TrustingTransport() => new(new HttpClientHandler
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            errors == System.Net.Security.SslPolicyErrors.None || (Certificate is not null && certificate?.Thumbprint == Certificate.Thumbprint),
    });

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public string ConnectionString { get; }

    /// <summary>The CPU time Azurite has used so far, for benchmarks that share the machine with it.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>A container client with short retries, so a failure shows in seconds, not after the SDK's 25 s of retries.</summary>
    public BlobContainerClient Container(string name, Action<BlobClientOptions>? configure = null)
    {
        var options = new BlobClientOptions();
        if (Certificate is not null)
        {
            options.Transport = TrustingTransport();
        }
        options.Retry.MaxRetries = 1;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        configure?.Invoke(options);
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

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at https?://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
