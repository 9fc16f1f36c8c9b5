using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IncidentIo.Domain.Hosting;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary><c>Incidents:*</c> and <c>Announcements:*</c> as the product binds and checks them.</summary>
public sealed class AnnouncementOptionsTests
{
    private static ServiceProvider Services(Dictionary<string, string?> values) => new ServiceCollection()
        .AddIncidentAndAnnouncementOptions(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
        .BuildValidated();

    [Fact]
    public void Defaults_are_valid_and_offer_the_default_types()
    {
        using var services = Services([]);
        Assert.Equal(["Default", "Security", "Customer data"], services.GetRequiredService<IOptions<IncidentOptions>>().Value.EffectiveTypes);
        Assert.Equal(TimeSpan.FromMinutes(2), services.GetRequiredService<IOptions<AnnouncementOptions>>().Value.LeaseDuration);
    }

    [Fact]
    public void Configured_types_replace_the_defaults()
    {
        using var services = Services(new() { ["Incidents:Types:0"] = "Outage", ["Incidents:Types:1"] = "Security" });
        Assert.Equal(["Outage", "Security"], services.GetRequiredService<IOptions<IncidentOptions>>().Value.EffectiveTypes);
    }

    [Theory]
    [InlineData("Incidents:Types:0", "", "Incidents:Types must each be 1 to 60 characters.")]
    [InlineData("Incidents:Types:1", "default", "Incidents:Types must not repeat a type.")]
    public void Bad_incident_types_name_the_key(string key, string value, string message)
    {
        using var services = Services(new() { ["Incidents:Types:0"] = "Default", [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<IncidentOptions>>().Value);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Announcements:LeaseDuration", "00:00:01")]
    [InlineData("Announcements:MaxBackoff", "00:00:01")]
    [InlineData("Announcements:MaxAttempts", "0")]
    [InlineData("Announcements:InstallWaitLimit", "00:00:05")]
    [InlineData("Announcements:SweepSchedule", "every minute")]
    public void Bad_announcement_settings_name_the_key(string key, string value)
    {
        using var services = Services(new() { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AnnouncementOptions>>().Value);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
