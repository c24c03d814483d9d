namespace Verdict.Cli.Analysis;

/// <summary>Writes a command's output to a file (atomically: a temporary file, then a rename) or to standard output.</summary>
internal static class Output
{
    public static async Task WriteAsync(FileInfo? file, string text, CancellationToken cancellationToken)
    {
        if (file is null)
        {
            await Console.Out.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            return;
        }
        string temporary = file.FullName + ".tmp";
        await File.WriteAllTextAsync(temporary, text, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, file.FullName, overwrite: true);
    }
}
