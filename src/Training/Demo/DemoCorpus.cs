using System.Globalization;
using System.Text;

namespace Verdict.Training.Demo;

/// <summary>
/// A synthetic corpus of replies to sales outreach, labelled <c>positive</c>, <c>objection</c>,
/// <c>unsubscribe</c>, <c>not-sure</c> and <c>out-of-office</c>. Every text is generated from phrase
/// templates and slot fillers with a seed (no real emails are involved); greetings, sign-offs, filler
/// sentences, typos and cues borrowed from other intents keep it from being trivially separable.
/// </summary>
public static class DemoCorpus
{
    /// <summary>The labels, in manifest order.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["not-sure", "objection", "out-of-office", "positive", "unsubscribe"];

    private static readonly string[] Names = ["Alex", "Sam", "Priya", "Jordan", "Mei", "Lukas", "Fatima", "Diego", "Chloe", "Tom", "Aisha", "Marco"];
    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week", "tomorrow", "the 14th", "end of the month"];
    private static readonly string[] Products = ["the platform", "your tool", "the analytics add-on", "this service", "the new plan", "your software", "the pilot"];
    private static readonly string[] Greetings = ["Hi {name},", "Hello {name},", "Hey {name}", "Dear {name},", "Hi there,", "Thanks {name}.", "", "", "Good morning,"];
    private static readonly string[] SignOffs = ["Best,", "Thanks,", "Regards,", "Cheers,", "Sent from my phone", "", "", "Kind regards,"];
    private static readonly string[] Filler =
    [
        "Hope your week is going well.", "Thanks for the follow-up.", "I saw your last email.", "Appreciate you reaching out.",
        "We spoke briefly at the conference.", "Our team has been busy with the quarter close.", "",
    ];

    private static readonly Dictionary<string, string[]> Phrases = new(StringComparer.Ordinal)
    {
        ["positive"] =
        [
            "Yes, let's set up a call {day}.", "This sounds interesting, can you send over a demo link?", "We'd love to see {product} in action.",
            "Happy to chat {day}, what times work for you?", "Please send pricing, we are ready to move forward.", "Count us in for the pilot.",
            "Great timing, we were just looking for something like {product}.", "Book a meeting with me {day}.", "Let's do it. Who should I loop in from our side?",
            "I'm interested, can you share a proposal?", "Sure, a 30 minute call {day} works.", "Sounds good, send the contract over.",
        ],
        ["objection"] =
        [
            "It's too expensive for us right now.", "We already use a competitor and are happy with it.", "We don't have budget for {product} this year.",
            "Not a priority for us at the moment.", "Your pricing is way above what we pay today.", "We tried something similar and it didn't work out.",
            "Our contract with our current vendor runs until next year.", "I don't see how {product} fits our workflow.", "Security review would take months, so no.",
            "The timing is bad, we just had layoffs.", "We built this in-house already.", "Leadership said no to new tools this quarter.",
        ],
        ["unsubscribe"] =
        [
            "Please remove me from your mailing list.", "Unsubscribe.", "Stop emailing me.", "Take me off this list please.",
            "I never signed up for this, remove my address.", "Do not contact me again.", "Please stop sending these emails.",
            "Opt me out of all future emails.", "Remove this address from your CRM.", "How do I unsubscribe from these messages?",
        ],
        ["not-sure"] =
        [
            "Maybe, can you tell me more?", "I'm not sure this is for us, what does it cost?", "Could be relevant, I need to check with my manager.",
            "Not sure yet. How is {product} different from what we have?", "Possibly later this year, hard to say.", "Who else in our industry uses {product}?",
            "Let me think about it and get back to you.", "I'd need to understand the pricing first.", "Can you send some case studies?",
            "Interesting, but I'm not the right person. Maybe try our ops lead?", "What would the setup effort look like?",
        ],
        ["out-of-office"] =
        [
            "I am out of the office until {day} with limited access to email.", "Automatic reply: I'm on vacation and back {day}.",
            "Thank you for your email. I am currently on parental leave.", "Out of office: for urgent matters contact {name}.",
            "I'm travelling until {day} and will respond when I return.", "Auto-reply: away from my desk, back {day}.",
            "I'm at a conference this week; replies will be delayed.", "On holiday until {day}. Your message will not be forwarded.",
        ],
    };

    /// <summary>Writes <paramref name="rowsPerLabel"/> examples of each label as CSV (<c>text,label,split</c>; about 20% test).</summary>
    public static void Write(string path, int rowsPerLabel = 400, int seed = 7)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        writer.NewLine = "\n";
        writer.WriteLine("text,label,split");
        foreach (var (text, label, split) in Generate(rowsPerLabel, seed))
        {
            writer.WriteLine($"{Quote(text)},{label},{split}");
        }
    }

    /// <summary>Generates the examples in a seeded, interleaved order.</summary>
    public static IEnumerable<(string Text, string Label, string Split)> Generate(int rowsPerLabel, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < rowsPerLabel; i++)
        {
            foreach (var label in Labels)
            {
                var split = random.NextDouble() < 0.2 ? "test" : "train";
                var text = Compose(label, random);
                // About 5% of labels disagree with the text, as human labels of real replies do.
                var recorded = random.NextDouble() < 0.05 ? Labels[random.Next(Labels.Count)] : label;
                yield return (text, recorded, split);
            }
        }
    }

    /// <summary>A few texts of each label, for smoke tests and demos.</summary>
    public static IReadOnlyList<string> Samples(int count, int seed) =>
        [.. Generate((count / Labels.Count) + 1, seed).Take(count).Select(e => e.Text)];

    private static string Compose(string label, Random random)
    {
        var parts = new List<string>();
        Add(parts, Pick(Greetings, random), random);
        if (random.NextDouble() < 0.4)
        {
            Add(parts, Pick(Filler, random), random);
        }
        Add(parts, Pick(Phrases[label], random), random);
        if (random.NextDouble() < 0.35)
        {
            Add(parts, Pick(Phrases[label], random), random);
        }
        if (random.NextDouble() < 0.3)
        {
            // A cue from another intent ("remove" in a not-sure reply, "call" in an objection) keeps the task honest.
            var other = Labels[random.Next(Labels.Count)];
            var phrase = Pick(Phrases[other], random);
            Add(parts, phrase.Split(' ')[0] + " " + phrase.Split(' ').Last(), random);
        }
        Add(parts, Pick(SignOffs, random), random);
        if (random.NextDouble() < 0.5)
        {
            parts.Add(Pick(Names, random));
        }
        var text = string.Join(" ", parts.Where(p => p.Length > 0));
        return random.NextDouble() < 0.15 ? Typo(text, random) : text;
    }

    private static void Add(List<string> parts, string template, Random random) =>
        parts.Add(template
            .Replace("{name}", Pick(Names, random), StringComparison.Ordinal)
            .Replace("{day}", Pick(Days, random), StringComparison.Ordinal)
            .Replace("{product}", Pick(Products, random), StringComparison.Ordinal));

    private static string Typo(string text, Random random)
    {
        if (text.Length < 4)
        {
            return text;
        }
        var chars = text.ToCharArray();
        var i = random.Next(1, chars.Length - 1);
        (chars[i], chars[i - 1]) = (chars[i - 1], chars[i]);
        return new string(chars);
    }

    private static T Pick<T>(T[] items, Random random) => items[random.Next(items.Length)];

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0
            ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : field.ToString(CultureInfo.InvariantCulture);
}
