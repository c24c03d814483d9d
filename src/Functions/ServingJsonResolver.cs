using System.Text.Json.Serialization.Metadata;

namespace Verdict.Functions;

/// <summary>The service's source-generated serialization, for the answers the local host's results write.</summary>
internal static class ServingJsonResolver
{
    public static IJsonTypeInfoResolver Instance => Serving.ServingJson.Default;
}
