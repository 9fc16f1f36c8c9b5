using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Hosting;

/// <summary>Turns a failed start into one line on stderr and exit code 1, instead of a stack trace.</summary>
public static class StartupGuard
{
    public static async Task<int> RunAsync(string processName, Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (Exception exception) when (Describe(exception) is { } reason)
        {
            await Console.Error.WriteLineAsync($"{processName} cannot start: {reason}");
            return 1;
        }
    }

    /// <summary>The one-line reason for failures that mean "fix your configuration"; null for bugs.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        OptionsValidationException options => string.Join(" ", options.Failures),
        StartupException startup => startup.Message,
        AggregateException aggregate when aggregate.InnerExceptions.All(e => Describe(e) is not null) =>
            string.Join(" ", aggregate.InnerExceptions.Select(Describe)),
        _ => null,
    };
}
