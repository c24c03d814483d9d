using Verdict.Scoring.Registry;

namespace Verdict.Scoring.Tests.Registry;

public sealed class VersionComparerTests
{
    [Fact]
    public void Compare_Versions_OrdersNumericPartsAsNumbers()
    {
        string[] versions = ["10", "2", "1.10", "1.9", "1", "2024-01-15", "2024-01-02"];
        Assert.Equal(["1", "1.9", "1.10", "2", "10", "2024-01-02", "2024-01-15"], versions.Order(VersionComparer.Instance));
    }
}
