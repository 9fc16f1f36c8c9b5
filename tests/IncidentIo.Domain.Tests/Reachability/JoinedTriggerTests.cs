using System.Reflection;
using System.Security.Claims;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Tests.Setup.AutomaticInstall;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>Someone new in an organisation that granted the global permissions gets our app installed (queued at once).</summary>
public sealed class JoinedTriggerTests
{
    [Fact]
    public async Task A_person_joining_an_organisation_with_permissions_is_queued_for_an_install_once()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        await using var services = harness.BuildServices(extra => extra
            .AddSingleton(DispatchProxy.Create<ITokenAcquisition, RefusingProxy>())
            .AddSingleton<GraphClients>()
            .AddSingleton<OrganizationOnboarding>());
        var onboarding = services.GetRequiredService<OrganizationOnboarding>();
        var jobs = services.GetRequiredService<RecordingJobClient>();
        var newcomer = Principal(Guid.NewGuid(), "new.person@contoso.example");

        var member = await onboarding.EnsureMemberAsync(newcomer);
        await onboarding.EnsureMemberAsync(newcomer);

        var queued = Assert.Single(jobs.Taken(nameof(AppInstallationJobs.InstallUserAsync)));
        Assert.Equal(member.User.Id, queued.Args[0]);
        Assert.Equal("joined", queued.Args[1]);
    }

    private static ClaimsPrincipal Principal(Guid objectId, string upn) => new(new ClaimsIdentity(
    [
        new Claim("http://schemas.microsoft.com/identity/claims/tenantid", ReachabilityHarness.Contoso.ToString()),
        new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", objectId.ToString()),
        new Claim("name", "New Person"),
        new Claim("preferred_username", upn),
    ], "test"));

    /// <summary>Token acquisition that must not be called: joining an existing organisation asks Microsoft nothing.</summary>
    public class RefusingProxy : DispatchProxy
    {
        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => throw new NotSupportedException(targetMethod?.Name);
    }
}
