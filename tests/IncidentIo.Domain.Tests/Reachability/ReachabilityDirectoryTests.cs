using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>The support console's queries, the same contract on SQLite and on a real PostgreSQL.</summary>
public abstract class ReachabilityDirectoryTests(ReachabilityData data)
{
    private ReachabilityDirectory Directory => data.Directory;

    [Fact]
    public async Task The_first_page_is_sorted_by_name_with_the_total()
    {
        var page = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Take = 10 });

        Assert.Equal(data.ContosoPeople.Count, page.Total);
        Assert.Equal(data.ContosoPeople.Select(p => p.DisplayName).Order(StringComparer.Ordinal).Take(10), page.Items.Select(i => i.DisplayName));
    }

    [Theory]
    [InlineData(ReachabilitySort.Name, false)]
    [InlineData(ReachabilitySort.Name, true)]
    [InlineData(ReachabilitySort.UserPrincipalName, false)]
    [InlineData(ReachabilitySort.UserPrincipalName, true)]
    [InlineData(ReachabilitySort.State, false)]
    [InlineData(ReachabilitySort.State, true)]
    [InlineData(ReachabilitySort.Role, false)]
    [InlineData(ReachabilitySort.Role, true)]
    [InlineData(ReachabilitySort.Changed, false)]
    [InlineData(ReachabilitySort.Changed, true)]
    public async Task Paging_forward_and_back_through_any_order_shows_everyone_exactly_once(ReachabilitySort sort, bool descending)
    {
        var order = new ReachabilityQuery { Sort = sort, Descending = descending, Take = 7 };
        var everyone = await Directory.ListAsync(data.Contoso, order with { Take = ReachabilityDirectory.MaxPageSize });
        var forward = new List<ReachabilityPage>();
        for (var page = await Directory.ListAsync(data.Contoso, order); ; page = await Directory.ListAsync(data.Contoso, order with { After = page.LastCursor }))
        {
            forward.Add(page);
            if (!page.HasNext)
            {
                break;
            }
        }

        Assert.Equal(everyone.Items.Select(i => i.UserId), forward.SelectMany(p => p.Items).Select(i => i.UserId));
        Assert.Equal(data.ContosoPeople.Select(p => p.Id).Order(), forward.SelectMany(p => p.Items).Select(i => i.UserId).Order());
        Assert.False(forward[0].HasPrevious);

        // Back from the last page, before each page's first row, gives the same pages in reverse.
        var backward = new List<ReachabilityRow>();
        for (var page = await Directory.ListAsync(data.Contoso, order with { Last = true }); ; page = await Directory.ListAsync(data.Contoso, order with { Before = page.FirstCursor }))
        {
            backward.InsertRange(0, page.Items);
            Assert.True(page.Items.Count is > 0 and <= 7);
            if (!page.HasPrevious)
            {
                break;
            }
        }

        Assert.Equal(everyone.Items.Select(i => i.UserId), backward.Select(i => i.UserId));
        var previous = await Directory.ListAsync(data.Contoso, order with { Before = forward[1].FirstCursor });
        Assert.Equal(forward[0].Items, previous.Items);
    }

    [Theory]
    [InlineData(ReachabilitySort.Name, false)]
    [InlineData(ReachabilitySort.Name, true)]
    [InlineData(ReachabilitySort.UserPrincipalName, false)]
    [InlineData(ReachabilitySort.UserPrincipalName, true)]
    [InlineData(ReachabilitySort.State, false)]
    [InlineData(ReachabilitySort.State, true)]
    [InlineData(ReachabilitySort.Role, false)]
    [InlineData(ReachabilitySort.Role, true)]
    [InlineData(ReachabilitySort.Changed, false)]
    [InlineData(ReachabilitySort.Changed, true)]
    public async Task Paging_through_a_search_keeps_the_order_of_everyone(ReachabilitySort sort, bool descending)
    {
        // A search's page sorts its matches instead of walking the order's index: the same order.
        var order = new ReachabilityQuery { Sort = sort, Descending = descending };
        var everyone = await Directory.ListAsync(data.Contoso, order with { Take = ReachabilityDirectory.MaxPageSize });
        var expected = everyone.Items
            .Where(i => i.DisplayName.Contains('r', StringComparison.OrdinalIgnoreCase) || (i.UserPrincipalName?.Contains('r', StringComparison.OrdinalIgnoreCase) ?? false))
            .Select(i => i.UserId).ToList();
        Assert.True(expected.Count > 6, "the search should match several pages");
        Assert.Contains(everyone.Items, i => i.UserPrincipalName is null && expected.Contains(i.UserId));

        var searched = order with { Search = "R", Take = 7 };
        var forward = new List<Guid>();
        for (var page = await Directory.ListAsync(data.Contoso, searched); ; page = await Directory.ListAsync(data.Contoso, searched with { After = page.LastCursor }))
        {
            Assert.Equal(expected.Count, page.Total);
            forward.AddRange(page.Items.Select(i => i.UserId));
            if (!page.HasNext)
            {
                break;
            }
        }

        var backward = new List<Guid>();
        for (var page = await Directory.ListAsync(data.Contoso, searched with { Last = true }); ; page = await Directory.ListAsync(data.Contoso, searched with { Before = page.FirstCursor }))
        {
            backward.InsertRange(0, page.Items.Select(i => i.UserId));
            if (!page.HasPrevious)
            {
                break;
            }
        }

        Assert.Equal(expected, forward);
        Assert.Equal(expected, backward);
    }

    [Fact]
    public async Task The_last_page_is_the_end_of_the_order_with_filters_applied()
    {
        var query = new ReachabilityQuery { Sort = ReachabilitySort.Changed, Descending = true, Active = true, Take = 3 };
        var everyone = await Directory.ListAsync(data.Contoso, query with { Take = ReachabilityDirectory.MaxPageSize });

        var last = await Directory.ListAsync(data.Contoso, query with { Last = true });

        Assert.Equal(everyone.Items.TakeLast(3), last.Items);
        Assert.False(last.HasNext);
        Assert.True(last.HasPrevious);
        Assert.Equal(everyone.Total, last.Total);
    }

    [Fact]
    public async Task A_cursor_from_another_order_or_two_directions_at_once_are_refused()
    {
        var byName = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Take = 2 });
        var counts = await Directory.CountsAsync(data.Contoso);

        await Assert.ThrowsAsync<ArgumentException>(() => Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.Role, After = byName.LastCursor }));
        await Assert.ThrowsAsync<ArgumentException>(() => Directory.ListAsync(data.Contoso, new ReachabilityQuery { Descending = true, After = byName.LastCursor }));
        await Assert.ThrowsAsync<ArgumentException>(() => Directory.ListAsync(data.Contoso, new ReachabilityQuery { After = byName.LastCursor, Before = byName.FirstCursor }));
        await Assert.ThrowsAsync<ArgumentException>(() => Directory.ListAsync(data.Contoso, new ReachabilityQuery { After = byName.LastCursor, Last = true }));
        // A state filter leaves a by-state order one state only: a cursor in another state is refused too.
        var byState = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.State, Take = 1 });
        await Assert.ThrowsAsync<ArgumentException>(() => Directory.ListAsync(data.Contoso,
            new ReachabilityQuery { Sort = ReachabilitySort.State, State = InstallationState.Failed, After = byState.LastCursor }));
        Assert.Equal(counts.Version, (await Directory.CountsAsync(data.Contoso)).Version);
    }

    [Fact]
    public async Task States_sort_in_their_own_order_not_alphabetically()
    {
        var page = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.State, Take = 200 });

        var states = page.Items.Select(i => i.State).ToList();
        Assert.Equal(states.Order(), states);
        Assert.Equal(InstallationState.NotInstalled, states[0]);
        Assert.Equal(InstallationState.Failed, states[^1]);
    }

    [Fact]
    public async Task Roles_sort_by_what_they_may_do()
    {
        var page = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.Role, Descending = true, Take = 3 });

        Assert.Equal([UserRole.Owner, UserRole.Admin, UserRole.Responder], page.Items.Select(i => i.Role));
    }

    [Fact]
    public async Task Missing_values_come_last_in_both_directions()
    {
        foreach (var descending in new[] { false, true })
        {
            var byUpn = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.UserPrincipalName, Descending = descending, Take = 200 });
            Assert.Null(byUpn.Items[^1].UserPrincipalName);
            Assert.All(byUpn.Items.SkipLast(1), i => Assert.NotNull(i.UserPrincipalName));

            var byChange = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.Changed, Descending = descending, Take = 200 });
            var changed = byChange.Items.TakeWhile(i => i.ChangedAt is not null).Select(i => i.ChangedAt!.Value).ToList();
            Assert.Equal(descending ? changed.OrderDescending() : changed.Order(), changed);
            Assert.All(byChange.Items.Skip(changed.Count), i => Assert.Null(i.ChangedAt));
        }

        var newest = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Sort = ReachabilitySort.Changed, Descending = true, Take = 1 });
        Assert.Equal("Alan Turing", Assert.Single(newest.Items).DisplayName);
    }

    [Fact]
    public async Task Filters_by_state_role_and_activity_combine()
    {
        var blocked = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { State = InstallationState.BlockedByPolicy });
        var admins = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Role = UserRole.Admin });
        var deactivated = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Active = false });
        var activeViewersNotInstalled = await Directory.ListAsync(data.Contoso,
            new ReachabilityQuery { State = InstallationState.NotInstalled, Role = UserRole.Viewer, Active = true, Take = 200 });

        Assert.Equal(["Alan Turing"], blocked.Items.Select(i => i.DisplayName));
        Assert.Equal(["Alan Turing"], admins.Items.Select(i => i.DisplayName));
        Assert.Equal(["Ken Thompson"], deactivated.Items.Select(i => i.DisplayName));
        Assert.Equal(data.ContosoPeople.Count(p => p.AppInstallation.State == InstallationState.NotInstalled && p.Role == UserRole.Viewer && p.IsActive),
            activeViewersNotInstalled.Total);
        Assert.DoesNotContain(activeViewersNotInstalled.Items, i => i.DisplayName == "Ken Thompson");
    }

    [Theory]
    [InlineData("ada", "Ada Lovelace")]
    [InlineData("ADA LOVE", "Ada Lovelace")]
    [InlineData("lovelace", "Ada Lovelace")]
    [InlineData("mhamilton@contoso", "Margaret Hamilton")]
    [InlineData("MHAMILTON", "Margaret Hamilton")]
    [InlineData("alan@", "Alan Turing")]
    [InlineData("100%", "Percent 100% Sure")]
    [InlineData("under_score", "Under_score Person")]
    public async Task Search_finds_any_part_of_the_name_or_upn_in_any_case(string search, string expected)
    {
        var page = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Search = search });

        Assert.Equal([expected], page.Items.Select(i => i.DisplayName));
        Assert.Equal(1, page.Total);
    }

    [Fact]
    public async Task Like_wildcards_in_a_search_are_plain_characters()
    {
        Assert.Equal(0, (await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Search = "%" + "nobody" })).Total);
        Assert.Equal(0, (await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Search = "_da" })).Total);
        Assert.Equal(data.ContosoPeople.Count, (await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Search = "  " })).Total);
    }

    [Fact]
    public async Task Nobody_from_another_organisation_is_listed_counted_found_or_compared()
    {
        var everyone = await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Take = 200 });
        var fabrikamAda = data.FabrikamPeople.Single(p => p.DisplayName == "Ada Fabrikam");

        Assert.DoesNotContain(everyone.Items, i => data.FabrikamPeople.Any(p => p.Id == i.UserId));
        Assert.Equal(0, (await Directory.ListAsync(data.Contoso, new ReachabilityQuery { Search = "fabrikam" })).Total);
        Assert.Null(await Directory.FindAsync(data.Contoso, fabrikamAda.Id));
        Assert.Null(await Directory.VersionAsync(data.Contoso, fabrikamAda.Id));
        Assert.DoesNotContain(await Directory.ReachablePeersAsync(data.Contoso, Guid.Empty), p => p.UserId == fabrikamAda.Id);
        Assert.Equal(data.FabrikamPeople.Count, (await Directory.CountsAsync(data.Fabrikam)).Total);
        Assert.NotNull(await Directory.FindAsync(data.Fabrikam, fabrikamAda.Id));
        Assert.Equal(data.Fabrikam, await Directory.OrganizationOfAsync(fabrikamAda.Id));
    }

    [Fact]
    public async Task Counts_per_state_and_activity_in_one_query()
    {
        var counts = await Directory.CountsAsync(data.Contoso);

        foreach (var state in Enum.GetValues<InstallationState>())
        {
            Assert.Equal(data.ContosoPeople.Count(p => p.AppInstallation.State == state), counts.ByState[state]);
        }

        Assert.Equal(data.ContosoPeople.Count(p => p.IsActive), counts.Active);
        Assert.Equal(1, counts.Deactivated);
        Assert.Equal(data.ContosoPeople.Count(p => p.IsActive && p.AppInstallation.State == InstallationState.Installed), counts.ReachableActive);
        Assert.Equal(counts.Version, (await Directory.CountsAsync(data.Contoso)).Version);
    }

    [Fact]
    public async Task People_in_a_team_with_our_bot_count_as_reachable_without_an_install_until_they_are_deactivated()
    {
        var before = await Directory.CountsAsync(data.ChangingOrganization);
        User New(string name, InstallationState state, string? team) => new()
        {
            OrganizationId = data.ChangingOrganization, MicrosoftObjectId = Guid.NewGuid(), DisplayName = name, CreatedAt = DateTimeOffset.UtcNow,
            BotTeamName = team, AppInstallation = new UserAppInstallation { State = state },
        };
        var blocked = New("Blocked, in a bot team", InstallationState.BlockedByPolicy, "Incidents");
        var failed = New("Failed, in a bot team", InstallationState.Failed, "Incidents");
        var installed = New("Installed, in a bot team", InstallationState.Installed, "Incidents");
        var outside = New("Blocked, in no bot team", InstallationState.BlockedByPolicy, null);
        await using (var db = data.NewContext())
        {
            db.Users.AddRange(blocked, failed, installed, outside);
            await db.SaveChangesAsync();
        }

        var after = await Directory.CountsAsync(data.ChangingOrganization);
        await using (var db = data.NewContext())
        {
            (await db.Users.SingleAsync(u => u.Id == failed.Id)).Deactivate("Left the team Incidents.", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        var deactivated = await Directory.CountsAsync(data.ChangingOrganization);
        Assert.Equal(before.Active + 4, after.Active);
        Assert.Equal(before.ReachableActive + 3, after.ReachableActive); // installed, and blocked and failed through the team
        Assert.Equal(before.ReachableThroughTeam + 2, after.ReachableThroughTeam);
        Assert.NotEqual(before.Version, after.Version);
        Assert.Equal(before.ReachableThroughTeam + 1, deactivated.ReachableThroughTeam);
        Assert.Equal(before.ReachableActive + 2, deactivated.ReachableActive);
        await using (var db = data.NewContext())
        {
            Assert.Null((await db.Users.SingleAsync(u => u.Id == failed.Id)).BotTeamName);
        }
    }

    [Fact]
    public async Task The_counts_version_and_a_users_version_change_when_an_installation_changes()
    {
        var user = data.Changing;
        var countsBefore = await Directory.CountsAsync(data.ChangingOrganization);
        var versionBefore = await Directory.VersionAsync(data.ChangingOrganization, user);

        await using (var db = data.NewContext())
        {
            var row = await db.Users.SingleAsync(u => u.Id == user);
            row.AppInstallation.State = InstallationState.Installed;
            row.AppInstallation.ChangedAt = row.AppInstallation.VerifiedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync();
        }

        var countsAfter = await Directory.CountsAsync(data.ChangingOrganization);
        Assert.NotEqual(countsBefore.Version, countsAfter.Version);
        Assert.Equal(countsBefore.ReachableActive + 1, countsAfter.ReachableActive);
        Assert.NotEqual(versionBefore, await Directory.VersionAsync(data.ChangingOrganization, user));

        await using (var db = data.NewContext())
        {
            // A retry that only moves the next attempt (same state) is a change too.
            var row = await db.Users.SingleAsync(u => u.Id == user);
            row.AppInstallation.NextAttemptAt = DateTimeOffset.UtcNow.AddMinutes(5);
            await db.SaveChangesAsync();
        }

        Assert.NotEqual(countsAfter.Version, (await Directory.CountsAsync(data.ChangingOrganization)).Version);
    }

    [Fact]
    public async Task A_users_page_has_the_last_fifty_attempts_newest_first()
    {
        var detail = await Directory.FindAsync(data.Contoso, data.WithHistory);

        Assert.NotNull(detail);
        Assert.Equal(ReachabilityDirectory.HistoryLength, detail.History.Count);
        Assert.Equal(60, detail.HistoryCount);
        Assert.Equal(detail.History.Select(a => a.At).OrderDescending(), detail.History.Select(a => a.At));
        Assert.Equal("attempt 59", detail.History[0].Message);
        Assert.Equal("Contoso", detail.OrganizationName);
        Assert.Equal(InstallationState.BlockedByPolicy, detail.Installation.State);
        Assert.Contains("permission policy", detail.Installation.LastError, StringComparison.Ordinal);
        Assert.Equal(60, (await Directory.VersionAsync(data.Contoso, data.WithHistory))!.HistoryCount);
    }

    [Fact]
    public async Task Peers_to_compare_with_are_active_installed_people_of_the_same_organisation()
    {
        var peers = await Directory.ReachablePeersAsync(data.Contoso, data.WithHistory);

        Assert.Equal(["Ada Lovelace"], peers.Select(p => p.DisplayName));
        Assert.Empty(await Directory.ReachablePeersAsync(data.Contoso, peers[0].UserId));
    }

    [Fact]
    public async Task Organisations_are_found_by_part_of_their_name_or_their_tenant()
    {
        Assert.Equal(["Contoso"], (await Directory.OrganizationsAsync("ONTOS")).Select(o => o.Name));
        Assert.Equal(["Fabrikam"], (await Directory.OrganizationsAsync(data.FabrikamTenant.ToString())).Select(o => o.Name));
        Assert.Equal(["Changing", "Contoso", "Fabrikam"], (await Directory.OrganizationsAsync(null)).Select(o => o.Name));
    }
}

public sealed class SqliteReachabilityDirectoryTests(SqliteReachabilityData data) : ReachabilityDirectoryTests(data), IClassFixture<SqliteReachabilityData>;

public sealed class PostgresReachabilityDirectoryTests(PostgresReachabilityData data) : ReachabilityDirectoryTests(data), IClassFixture<PostgresReachabilityData>;

public sealed class SqliteReachabilityData() : ReachabilityData(DatabaseOptions.Sqlite);

public sealed class PostgresReachabilityData() : ReachabilityData(DatabaseOptions.Postgres);

/// <summary>Two organisations of people in every state, made once per test class; the tests only read (except in "Changing").</summary>
public abstract class ReachabilityData(string provider) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private TestDatabase database = null!;
    private ServiceProvider services = null!;

    public ReachabilityDirectory Directory { get; private set; } = null!;

    public Guid Contoso { get; } = Guid.NewGuid();

    public Guid Fabrikam { get; } = Guid.NewGuid();

    public Guid FabrikamTenant { get; } = Guid.NewGuid();

    public Guid ChangingOrganization { get; } = Guid.NewGuid();

    public List<User> ContosoPeople { get; } = [];

    public List<User> FabrikamPeople { get; } = [];

    /// <summary>Blocked by policy, with 60 recorded attempts.</summary>
    public Guid WithHistory { get; private set; }

    public Guid Changing { get; private set; }

    public IncidentIoDbContext NewContext() => services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(provider);
        services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        Directory = new ReachabilityDirectory(services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>());

        ContosoPeople.AddRange(
        [
            Person(Contoso, "Ada Lovelace", "ada@contoso.example", UserRole.Owner, InstallationState.Installed, changedMinutes: 10),
            Person(Contoso, "Alan Turing", "alan@contoso.example", UserRole.Admin, InstallationState.BlockedByPolicy, changedMinutes: 50),
            Person(Contoso, "Grace Hopper", "grace@contoso.example", UserRole.Viewer, InstallationState.NeverOpenedTeams, changedMinutes: 20),
            Person(Contoso, "Barbara Liskov", "barbara@contoso.example", UserRole.Responder, InstallationState.Failed, changedMinutes: 30),
            Person(Contoso, "Linus Torvalds", "linus@contoso.example", UserRole.Viewer, InstallationState.Pending, changedMinutes: 40),
            Person(Contoso, "Niklaus Wirth", "niklaus@contoso.example", UserRole.Viewer, InstallationState.NotInCatalog, changedMinutes: 5),
            Person(Contoso, "Margaret Hamilton", "MHamilton@Contoso.example", UserRole.Viewer, InstallationState.NotInstalled),
            Person(Contoso, "Dennis Ritchie", null, UserRole.Viewer, InstallationState.NotInstalled),
            Person(Contoso, "Percent 100% Sure", "percent@contoso.example", UserRole.Viewer, InstallationState.NotInstalled),
            Person(Contoso, "Under_score Person", "underscore@contoso.example", UserRole.Viewer, InstallationState.NotInstalled),
        ]);
        var ken = Person(Contoso, "Ken Thompson", "ken@contoso.example", UserRole.Admin, InstallationState.Installed, changedMinutes: 1);
        ken.Deactivate("Left the company", Start);
        ContosoPeople.Add(ken);
        for (var i = 1; i <= 25; i++)
        {
            ContosoPeople.Add(Person(Contoso, $"Person {i:D2}", $"p{i:D2}@contoso.example", UserRole.Viewer, InstallationState.NotInstalled));
        }

        FabrikamPeople.AddRange(
        [
            Person(Fabrikam, "Ada Fabrikam", "ada@fabrikam.example", UserRole.Owner, InstallationState.Installed, changedMinutes: 3),
            Person(Fabrikam, "Bob Fabrikam", "bob@fabrikam.example", UserRole.Viewer, InstallationState.BlockedByPolicy, changedMinutes: 4),
        ]);
        var changing = Person(ChangingOrganization, "Chris Changing", "chris@changing.example", UserRole.Viewer, InstallationState.NotInstalled);
        Changing = changing.Id;
        var alan = ContosoPeople.Single(p => p.DisplayName == "Alan Turing");
        alan.AppInstallation.LastError = "A Teams app permission policy blocks IncidentIo for this user.";
        WithHistory = alan.Id;

        await using var db = NewContext();
        db.Organizations.AddRange(
            new Organization { Id = Contoso, Name = "Contoso", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = Start, UpdatedAt = Start },
            new Organization { Id = Fabrikam, Name = "Fabrikam", MicrosoftTenantId = FabrikamTenant, CreatedAt = Start, UpdatedAt = Start },
            new Organization { Id = ChangingOrganization, Name = "Changing", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = Start, UpdatedAt = Start });
        db.Users.AddRange(ContosoPeople);
        db.Users.AddRange(FabrikamPeople);
        db.Users.Add(changing);
        for (var i = 0; i < 60; i++)
        {
            db.AppInstallationAttempts.Add(new AppInstallationAttempt
            {
                UserId = alan.Id,
                OrganizationId = Contoso,
                At = Start.AddSeconds(i),
                Action = i % 2 == 0 ? "check" : "install",
                Trigger = "retry",
                Status = 403,
                ErrorCode = "Forbidden",
                Message = $"attempt {i}",
                Outcome = InstallationState.BlockedByPolicy,
            });
        }

        // Someone else's history never shows on Alan's page.
        db.AppInstallationAttempts.Add(new AppInstallationAttempt
        {
            UserId = FabrikamPeople[1].Id, OrganizationId = Fabrikam, At = Start.AddHours(1), Action = "install", Trigger = "retry", Outcome = InstallationState.BlockedByPolicy,
        });
        await db.SaveChangesAsync();
    }

    private static User Person(Guid organization, string name, string? upn, UserRole role, InstallationState state, int? changedMinutes = null) => new()
    {
        OrganizationId = organization,
        MicrosoftObjectId = Guid.NewGuid(),
        DisplayName = name,
        UserPrincipalName = upn,
        Role = role,
        CreatedAt = Start,
        AppInstallation = new UserAppInstallation
        {
            State = state,
            ChangedAt = changedMinutes is { } minutes ? Start.AddMinutes(minutes) : null,
            VerifiedAt = state == InstallationState.Installed ? Start.AddMinutes(changedMinutes ?? 0) : null,
            NextAttemptAt = state == InstallationState.Pending ? Start.AddHours(1) : null,
        },
    };

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await database.DisposeAsync();
    }
}
