using System.Text.Json;
using System.Text.Json.Serialization;

namespace Verdict.Functions;

/// <summary>Serialization of the app's answers, generated at compile time (camelCase, as Contract 4 spells them).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ScoreResponse))]
[JsonSerializable(typeof(AnsweredExperiment))]
[JsonSerializable(typeof(TemplateAssignment))]
[JsonSerializable(typeof(ReplyResponse))]
internal sealed partial class FunctionsJson : JsonSerializerContext;
