using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// Ownership and roles in Chromium: an ordinary user who arrives first owns nothing, the Global
/// Administrator does, gives Uma a role that applies at her next click, and cannot remove the last Owner.
/// </summary>
public sealed class RolesJourneyTests : PortalJourney
{
    private const string Uma = "user@contoso.example";
    private const string Adele = "admin@contoso.example";

    [Fact]
    public async Task The_first_user_does_not_own_the_organisation_the_global_administrator_does_and_gives_roles_that_apply_at_once()
    {
        // Uma arrives first: nobody owns Contoso, and she is asked to send her admin the link.
        var uma = await SignInAsync(Uma, "/setup");
        await Assertions.Expect(uma.GetByTestId("ask-admin-notice")).ToContainTextAsync("Ask your Microsoft admin");
        await Assertions.Expect(uma.GetByTestId("admin-setup-link-text")).ToHaveTextAsync($"{Url}/setup");
        await Browser.ScreenshotAsync(uma, "roles-ask-your-admin");
        await uma.GotoAsync($"{Url}/settings/people");
        await Browser.WaitForCircuitAsync(uma);
        await Assertions.Expect(uma.GetByTestId("people-not-allowed")).ToBeVisibleAsync();

        // The Global Administrator finishes setup's permissions and owns Contoso.
        var adele = await SignInAsync(Adele, "/setup");
        await adele.GetByLabel("Organisation name").FillAsync("Contoso Ltd");
        await adele.GetByTestId("confirm-details").ClickAsync();
        await adele.GetByRole(AriaRole.Button, new() { Name = "Choose Pro" }).ClickAsync();
        await GrantAtMicrosoftAsync(adele, adele.GetByTestId("grant-global"), "User.ReadBasic.All", null);
        await adele.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await adele.GotoAsync($"{Url}/settings/people");
        await Browser.WaitForCircuitAsync(adele);
        await Assertions.Expect(adele.GetByTestId($"role-{Adele}")).ToHaveTextAsync("Owner");

        // The last Owner is offered no way to step down.
        await Assertions.Expect(adele.Locator($"[data-testid^='make-'][data-testid$='-{Adele}']")).ToHaveCountAsync(0);

        // Uma becomes a Responder, then an Admin: her next page shows it, without signing in again.
        await adele.GetByTestId($"make-Responder-{Uma}").ClickAsync();
        await Assertions.Expect(adele.GetByTestId($"role-{Uma}")).ToHaveTextAsync("Responder");
        await adele.GetByTestId($"make-Admin-{Uma}").ClickAsync();
        await Assertions.Expect(adele.GetByTestId($"role-{Uma}")).ToHaveTextAsync("Admin");
        await Browser.ScreenshotAsync(adele, "roles-people-page");

        await uma.ReloadAsync();
        await Browser.WaitForCircuitAsync(uma);
        await Assertions.Expect(uma.GetByTestId("people-table")).ToBeVisibleAsync();
        // An Admin cannot touch the Owner either.
        await Assertions.Expect(uma.Locator($"[data-testid^='make-'][data-testid$='-{Adele}']")).ToHaveCountAsync(0);
        await Assertions.Expect(uma.Locator("[data-testid^='make-Owner-']")).ToHaveCountAsync(0);
    }
}
