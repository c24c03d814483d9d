using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Core;

namespace Verdict.TestUtilities;

/// <summary>
/// The managed-identity endpoint App Service and Functions give an app (<c>IDENTITY_ENDPOINT</c> with the
/// secret <c>IDENTITY_HEADER</c>), on loopback: it hands out unsigned JWTs with the requested audience and an
/// Entra issuer, which Azurite's basic OAuth accepts. <see cref="Environment"/> is what a process needs to
/// use it; <see cref="TokensIssued"/> counts what it gave.
/// </summary>
public sealed class FakeManagedIdentity : IDisposable
{
    private const string Secret = "verdict-test-identity-header";
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _issued;

    public FakeManagedIdentity()
    {
        int port = TestProcess.FreePort();
        Endpoint = $"http://127.0.0.1:{port}/msi/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/msi/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public int TokensIssued => Volatile.Read(ref _issued);

    /// <summary>The variables that point a process's managed-identity credential here.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["IDENTITY_ENDPOINT"] = Endpoint,
        ["IDENTITY_HEADER"] = Secret,
    };

    /// <summary>An unsigned token Azurite's basic OAuth accepts for <paramref name="audience"/>.</summary>
    public static string Token(string audience, DateTimeOffset expires)
    {
        static string Part(object value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        long now = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        return Part(new { alg = "none", typ = "JWT" }) + "." +
            Part(new { aud = audience, iss = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/", nbf = now, iat = now, exp = expires.ToUnixTimeSeconds(), oid = "test-identity" }) + ".c2ln";
    }

    /// <summary>A credential in the test process that hands out the same kind of token.</summary>
    public static TokenCredential Credential { get; } = new StaticCredential();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var response = context.Response;
            string? resource = context.Request.QueryString["resource"];
            if (context.Request.Headers["X-IDENTITY-HEADER"] != Secret || string.IsNullOrEmpty(resource))
            {
                response.StatusCode = 400;
                continue;
            }
            var expires = DateTimeOffset.UtcNow.AddHours(1);
            byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["access_token"] = Token(resource.TrimEnd('/'), expires),
                ["expires_on"] = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                ["resource"] = resource,
                ["token_type"] = "Bearer",
                ["client_id"] = "00000000-0000-0000-0000-000000000002",
            });
            Interlocked.Increment(ref _issued);
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private sealed class StaticCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var expires = DateTimeOffset.UtcNow.AddHours(1);
            return new AccessToken(Token("https://storage.azure.com", expires), expires);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
