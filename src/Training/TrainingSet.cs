using Verdict.Training.Data;

namespace Verdict.Training;

/// <summary>The labelled data split into train and test, the labels in output order.</summary>
internal sealed record TrainingSet(string[] Labels, Dictionary<string, int> LabelIndex, List<LabelledExample> Train, List<LabelledExample> Test)
{
    /// <summary>Reads the file, splits it, and keeps <see cref="TrainingOptions.MaxTrain"/> training examples when set.</summary>
    /// <exception cref="TrainingDataException">The data is unusable; the message names file and line.</exception>
    public static TrainingSet Load(TrainingOptions options)
    {
        var examples = LabelledCsvReader.Read(options.DataPath, options.TextColumn, options.LabelColumn, options.SplitColumn);
        var (train, test) = Split(examples, options);
        if (options.MaxTrain is { } max && max < train.Count)
        {
            train = StratifiedSample(train, max, options.Seed);
        }
        return Create(options.DataPath, train, test);
    }

    public static TrainingSet Create(string dataPath, List<LabelledExample> train, List<LabelledExample> test)
    {
        var labels = train.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
        {
            throw new TrainingDataException(dataPath, 0, $"training needs at least two labels; the train split has {labels.Length}");
        }
        var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(p => p.l, p => p.i, StringComparer.Ordinal);
        foreach (var e in test)
        {
            if (!labelIndex.ContainsKey(e.Label))
            {
                throw new TrainingDataException(dataPath, e.Line, $"label '{e.Label}' is in the test split but never in the train split");
            }
        }
        return new TrainingSet(labels, labelIndex, train, test);
    }

    /// <summary>
    /// <paramref name="count"/> examples drawn without replacement, each label keeping its share (largest remainders;
    /// every label at least one while <paramref name="count"/> allows), seeded, in file order.
    /// </summary>
    public static List<LabelledExample> StratifiedSample(IReadOnlyList<LabelledExample> examples, int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count >= examples.Count)
        {
            return [.. examples];
        }
        var random = new Random(seed);
        var groups = examples.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => { var items = g.ToArray(); random.Shuffle(items); return items; }).ToArray();
        var exact = groups.Select(g => (double)g.Length * count / examples.Count).ToArray();
        var quota = exact.Select(q => (int)Math.Floor(q)).ToArray();
        if (count >= groups.Length)
        {
            for (var i = 0; i < quota.Length; i++)
            {
                quota[i] = Math.Max(1, quota[i]);
            }
        }
        // Hand out what is left by largest remainder; take back from the largest quotas if the minimum of one overshot.
        foreach (var i in Enumerable.Range(0, groups.Length).OrderByDescending(i => exact[i] - quota[i]).ThenBy(i => i))
        {
            if (quota.Sum() >= count)
            {
                break;
            }
            if (quota[i] < groups[i].Length)
            {
                quota[i]++;
            }
        }
        while (quota.Sum() > count)
        {
            var largest = Array.IndexOf(quota, quota.Max());
            quota[largest]--;
        }
        var sample = groups.SelectMany((g, i) => g.Take(quota[i])).ToList();
        sample.Sort((a, b) => a.Line.CompareTo(b.Line));
        return sample;
    }

    private static (List<LabelledExample> Train, List<LabelledExample> Test) Split(List<LabelledExample> examples, TrainingOptions options)
    {
        if (options.SplitColumn is not null)
        {
            var train = examples.Where(e => e.Split == "train").ToList();
            var test = examples.Where(e => e.Split == "test").ToList();
            if (train.Count == 0)
            {
                throw new TrainingDataException(options.DataPath, 0, $"no row has '{options.SplitColumn}' = 'train'");
            }
            return (train, test);
        }
        if (options.TestFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.TestFraction, "TestFraction must be in [0, 1).");
        }
        var random = new Random(options.Seed);
        var trainSet = new List<LabelledExample>();
        var testSet = new List<LabelledExample>();
        foreach (var group in examples.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToArray();
            random.Shuffle(items);
            var held = items.Length < 2 ? 0 : (int)Math.Round(items.Length * options.TestFraction);
            testSet.AddRange(items.Take(held));
            trainSet.AddRange(items.Skip(held));
        }
        trainSet.Sort((a, b) => a.Line.CompareTo(b.Line));
        testSet.Sort((a, b) => a.Line.CompareTo(b.Line));
        return (trainSet, testSet);
    }
}
