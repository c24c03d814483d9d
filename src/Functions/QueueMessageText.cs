using System.Buffers;
using System.Text;

namespace Verdict.Functions;

/// <summary>
/// A queue message's text on the wire, as <c>host.json</c>'s <c>messageEncoding</c> says: base64 of UTF-8
/// (the Functions host's default, and what it writes to <c>score-results</c> and the poison queues) or the
/// text as it is. The local listeners receive raw text and decode it here, so a message that is not valid for
/// the encoding is a message to poison, never an exception in the receive loop.
/// </summary>
internal static class QueueMessageText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes <paramref name="raw"/>; on failure <paramref name="reason"/> says what is wrong and what to send instead.</summary>
    public static bool TryDecode(string raw, bool base64, out string text, out string reason)
    {
        text = raw;
        reason = "";
        if (!base64)
        {
            return true;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, raw.Length * 3 / 4 + 3));
        try
        {
            if (raw.Length == 0 || !Convert.TryFromBase64String(raw, buffer, out int written))
            {
                reason = "$: the message is not base64, and this app's messageEncoding (host.json) is base64: encode the JSON's UTF-8 bytes as base64 before sending it";
                return false;
            }
            try
            {
                text = StrictUtf8.GetString(buffer, 0, written);
            }
            catch (DecoderFallbackException)
            {
                reason = "$: the message is base64, but what it encodes is not UTF-8 text";
                return false;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The wire form of <paramref name="text"/> under the encoding.</summary>
    public static string Encode(string text, bool base64) => base64 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) : text;
}
