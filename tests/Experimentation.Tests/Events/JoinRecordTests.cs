using System.Runtime.CompilerServices;
using Verdict.Experimentation.Events;

namespace Verdict.Experimentation.Tests.Events;

public sealed class JoinRecordTests
{
    [Fact]
    public void JoinRecord_IsSixtyFourBytes_OneCacheLinePerEventId()
    {
        // The join's memory is records × this size (docs/benchmarks.md: bytes per scored event); padding from a
        // field moved out of order once made it 80.
        Assert.Equal(64, Unsafe.SizeOf<JoinRecord>());
    }

    [Fact]
    public void ParsedEvent_IsSixtyFourBytes()
    {
        // Batches of 16,384 parsed events travel from the parser to the join: their size is memory traffic.
        Assert.Equal(64, Unsafe.SizeOf<ParsedEvent>());
    }
}
