using IncidentIo.Testing;

namespace IncidentIo.Portal.Tests.Shell;

/// <summary>A bad configuration stops the real Portal process with one line and leaves nothing behind.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("Database__Provider", "Oracle", "Database:Provider must be 'Sqlite' or 'Postgres', not 'Oracle'.")]
    [InlineData("Jobs__Mode", "Distributed", "Jobs:Mode 'Distributed' keeps jobs in PostgreSQL: set Database:Provider to 'Postgres'.")]
    [InlineData("Microsoft__Mode", "Azure", "Microsoft:Mode must be 'Sandbox' or 'Live', not 'Azure'.")]
    [InlineData("Microsoft__Mode", "Live", "DataProtection:CertificatePath (a PFX that encrypts the data-protection keys stored in the database) is required when Microsoft:Mode is 'Live'. AzureAd:ClientId (our app registration's client id) is required when Microsoft:Mode is 'Live'. Bot:ClientSecret (the client secret of the bot's app registration, TeamsApp:BotId) is required when Microsoft:Mode is 'Live'.")]
    [InlineData("Support__Email", "support", "Support:Email must be an e-mail address, like 'support@incidentio.example', not 'support'.")]
    [InlineData("Support__StaffTenantId", "incidentio.example", "Support:StaffTenantId must be our own Entra tenant id (a GUID), like '1c1de471-0000-4000-8000-000000000000', not 'incidentio.example'.")]
    [InlineData("Sandbox__TeamsAppDistribution", "global", "Sandbox:TeamsAppDistribution must be 'store', 'organization', 'both', not 'global'.")]
    [InlineData("Microsoft__SandboxOrigin", "http://localhost:7443", "Microsoft:SandboxOrigin must be an https origin on this machine, like 'https://localhost:7443', not 'http://localhost:7443'.")]
    [InlineData("Proxy__KnownProxies__0", "proxy.internal", "Proxy:KnownProxies must list IP addresses, like '10.0.0.5'.")]
    [InlineData("Proxy__KnownNetworks__0", "10.0.0.0", "Proxy:KnownNetworks must list networks in CIDR notation, like '10.0.0.0/8'.")]
    [InlineData("Health__DetailsKey", "short", "Health:DetailsKey must be at least 16 characters when set.")]
    public async Task A_bad_setting_is_named_in_one_line(string key, string value, string reason)
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-portal-{Guid.NewGuid():N}");
        await using var portal = ProductProcess.Start("IncidentIo.Portal", new Dictionary<string, string?>
        {
            [key] = value,
            ["DataFolder"] = dataFolder,
            ["ASPNETCORE_URLS"] = $"https://127.0.0.1:{FreePort.Next()}",
        });

        Assert.Equal(1, await portal.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal($"IncidentIo.Portal cannot start: {reason}", portal.Output.Trim());
        Assert.False(Directory.Exists(dataFolder), "Nothing may be created for a configuration that was refused.");
    }
}
