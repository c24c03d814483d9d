using System.Text.Json;
using System.Text.Json.Serialization;

namespace Verdict.Serving;

/// <summary>Serialization of the service's answers, generated at compile time (camelCase, as Contract 4 spells them).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(AnsweredExperiment))]
[JsonSerializable(typeof(TemplateAssignment))]
[JsonSerializable(typeof(ReplyResponse))]
internal sealed partial class ServingJson : JsonSerializerContext;

/// <summary>The one field of a remembered answer that the outcome route reads; the serializer skips the rest.</summary>
internal sealed record AnsweredExperiment(string? Experiment);
