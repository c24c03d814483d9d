using Microsoft.Extensions.Logging;

namespace Verdict.Scoring.Registry;

internal static partial class RegistryLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Model}@{Version} to {Store}.")]
    public static partial void Published(ILogger logger, string model, string version, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Model} from {Store}.")]
    public static partial void Loaded(ILogger logger, string model, string store);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unloaded {Model}: not used for {Idle}.")]
    public static partial void Unloaded(ILogger logger, string model, TimeSpan idle);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Model} cannot be served ({Error}: {Reason}); trying the previous version.")]
    public static partial void Unservable(ILogger logger, string model, ScoringError error, string reason);
}
