using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Configuration;

namespace IncidentIo.Domain.Tests.Hosting;

public sealed class OptionsValidationTests
{
    private static IncidentIoOptionsValidator Validator(string? provider = null) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Database:Provider"] = provider }).Build());

    [Fact]
    public void The_embedded_default_is_valid()
    {
        var validator = Validator();

        Assert.True(validator.Validate(null, new DatabaseOptions()).Succeeded);
        Assert.True(validator.Validate(null, new JobsOptions()).Succeeded);
        Assert.True(validator.Validate(null, new MicrosoftOptions()).Succeeded);
    }

    [Fact]
    public void An_unknown_database_provider_names_the_key_and_the_choices()
    {
        var result = Validator().Validate(null, new DatabaseOptions { Provider = "Oracle" });

        Assert.True(result.Failed);
        Assert.Equal("Database:Provider must be 'Sqlite' or 'Postgres', not 'Oracle'.", result.FailureMessage);
    }

    [Fact]
    public void Postgres_needs_a_connection_string()
    {
        var result = Validator("Postgres").Validate(null, new DatabaseOptions { Provider = "Postgres", ConnectionString = "" });

        Assert.True(result.Failed);
        Assert.Contains("ConnectionStrings:IncidentIo", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Distributed_jobs_need_postgres()
    {
        var result = Validator("Sqlite").Validate(null, new JobsOptions { Mode = "Distributed" });

        Assert.True(result.Failed);
        Assert.Contains("Database:Provider to 'Postgres'", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validator("Postgres").Validate(null, new JobsOptions { Mode = "Distributed" }).Succeeded);
    }

    [Theory]
    [InlineData("Sometimes", 10, "* * * * *", "Jobs:Mode")]
    [InlineData("InProcess", 0, "* * * * *", "Jobs:WorkerCount")]
    [InlineData("InProcess", 10, "hourly", "Jobs:HeartbeatSchedule")]
    public void Bad_job_settings_name_their_key(string mode, int workers, string schedule, string key)
    {
        var result = Validator().Validate(null, new JobsOptions { Mode = mode, WorkerCount = workers, HeartbeatSchedule = schedule });

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_microsoft_mode_is_refused()
    {
        Assert.True(Validator().Validate(null, new MicrosoftOptions { Mode = "Azure" }).Failed);
        Assert.True(Validator().Validate(null, new MicrosoftOptions { Mode = "live" }).Succeeded);
    }

    [Fact]
    public void Startup_failures_become_one_line()
    {
        var failure = new Microsoft.Extensions.Options.OptionsValidationException("Database", typeof(DatabaseOptions), ["first.", "second."]);

        Assert.Equal("first. second.", StartupGuard.Describe(failure));
        Assert.Equal("first. second. third", StartupGuard.Describe(new AggregateException(failure, new StartupException("third"))));
        Assert.Null(StartupGuard.Describe(new InvalidOperationException("a bug")));
    }
}
