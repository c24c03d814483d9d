using System.Text;
using Microsoft.AspNetCore.Http;

namespace Verdict.Functions.Tests;

public sealed class RequestReaderTests
{
    private static HttpRequest Request(string json, bool sendLength)
    {
        var context = new DefaultHttpContext();
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = sendLength ? bytes.Length : null;
        return context.Request;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ABodyLargerThanTheFirstBuffer_IsReadWhole_WithOrWithoutContentLength(bool sendLength)
    {
        // Without Content-Length the reader starts from a 4 KiB buffer and has to grow it.
        string text = new('x', 20_000);

        using var body = await RequestReader.ReadAsync(Request($$"""{"id":"e-1","body":"{{text}}"}""", sendLength), 1 << 20, CancellationToken.None);

        Assert.Equal("e-1", body.Root.GetProperty("id").GetString());
        Assert.Equal(text, body.Root.GetProperty("body").GetString());
    }

    [Fact]
    public async Task ABody_IsValidUntilDisposed_AndDisposingTwiceIsHarmless()
    {
        var body = await RequestReader.ReadAsync(Request("""{"id":"e-1"}""", sendLength: true), 1024, CancellationToken.None);
        Assert.Equal("e-1", body.Root.GetProperty("id").GetString());

        body.Dispose();
        body.Dispose();

        Assert.Throws<ObjectDisposedException>(() => body.Root.GetProperty("id"));
    }

    [Fact]
    public async Task ABodyOverTheLimit_WithoutContentLength_IsRefusedAs413()
    {
        var problem = await Assert.ThrowsAsync<RequestProblem>(async () =>
            await RequestReader.ReadAsync(Request($$"""{"body":"{{new string('x', 5_000)}}"}""", sendLength: false), 4_096, CancellationToken.None));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, problem.Status);
        Assert.Equal("$", problem.Field);
    }
}
