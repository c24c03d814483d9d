using System.Text;

namespace Verdict.Experimentation.Events;

/// <summary>Maps the few distinct UTF-8 strings of a field (arms, intents, models) to small indexes.</summary>
internal sealed class InternTable
{
    private readonly List<byte[]> _bytes = [];
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private int _last = -1;

    public InternTable() => _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _names.Count;

    public string this[int index] => _names[index];

    public int Intern(ReadOnlySpan<byte> utf8)
    {
        if (_last >= 0 && utf8.SequenceEqual(_bytes[_last]))
        {
            return _last;
        }
        // Arms, intents and models are few: comparing bytes beats decoding and hashing.
        for (int i = 0; i < _bytes.Count && i < 32; i++)
        {
            if (utf8.SequenceEqual(_bytes[i]))
            {
                _last = i;
                return i;
            }
        }
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        if (!_lookup.TryGetValue(chars[..n], out int index))
        {
            if (_names.Count >= short.MaxValue)
            {
                throw new InvalidOperationException("too many distinct values");
            }
            string name = new(chars[..n]);
            index = _names.Count;
            _names.Add(name);
            _bytes.Add(utf8.ToArray());
            _index[name] = index;
        }
        _last = index;
        return index;
    }

    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i : -1;
}
