namespace Verdict.Training.Data;

/// <summary>One labelled text; <see cref="Split"/> is null when the data has no split column.</summary>
internal sealed record LabelledExample(string Text, string Label, string? Split, int Line);
