using System.Text.Json;
using System.Text.Json.Serialization;

namespace Verdict.Serving;

/// <summary>
/// A score's probability per label, written as the JSON object Contract 4 shows (<c>{"label": p, …}</c>) straight
/// from the model's label and probability lists: an answer needs no dictionary of its own.
/// </summary>
[JsonConverter(typeof(LabelProbabilitiesConverter))]
public sealed class LabelProbabilities
{
    /// <summary>Pairs the model's labels with their probabilities, in the model's order.</summary>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public LabelProbabilities(IReadOnlyList<string> labels, IReadOnlyList<float> values)
    {
        if (labels.Count != values.Count)
        {
            throw new ArgumentException($"{labels.Count} labels but {values.Count} probabilities", nameof(values));
        }
        Labels = labels;
        Values = values;
    }

    /// <summary>The labels, in the model's output order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Each label's probability.</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>How many labels.</summary>
    public int Count => Labels.Count;
}

internal sealed class LabelProbabilitiesConverter : JsonConverter<LabelProbabilities>
{
    public override LabelProbabilities Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("probabilities must be an object of label → probability");
        }
        var labels = new List<string>();
        var values = new List<float>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            labels.Add(reader.GetString()!);
            if (!reader.Read() || reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException($"the probability of '{labels[^1]}' must be a number");
            }
            values.Add(reader.GetSingle());
        }
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("probabilities must be an object of label → probability");
        }
        return new LabelProbabilities(labels, values);
    }

    public override void Write(Utf8JsonWriter writer, LabelProbabilities value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        for (int i = 0; i < value.Count; i++)
        {
            writer.WriteNumber(value.Labels[i], value.Values[i]);
        }
        writer.WriteEndObject();
    }
}
