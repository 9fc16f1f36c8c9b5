using IncidentIo.Domain.Users;

namespace IncidentIo.Domain.Tests.Users;

public sealed class UserDeactivationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static User NewUser(UserRole role) => new() { DisplayName = "Ann", Role = role };

    [Theory]
    [InlineData(UserRole.Responder)]
    [InlineData(UserRole.Admin)]
    [InlineData(UserRole.Owner)]
    public void Deactivating_drops_a_role_above_viewer_and_remembers_it(UserRole role)
    {
        var user = NewUser(role);

        Assert.True(user.Deactivate("In no team where the bot is installed", Now));

        Assert.False(user.IsActive);
        Assert.Equal(UserRole.Viewer, user.Role);
        Assert.Equal(role, user.RoleBeforeDeactivation);
        Assert.Equal(Now, user.DeactivatedAt);
        Assert.Equal("In no team where the bot is installed", user.DeactivationReason);
    }

    [Fact]
    public void Reactivating_restores_the_remembered_role()
    {
        var user = NewUser(UserRole.Responder);
        user.Deactivate("gone", Now);

        Assert.True(user.Reactivate());

        Assert.True(user.IsActive);
        Assert.Equal(UserRole.Responder, user.Role);
        Assert.Null(user.RoleBeforeDeactivation);
        Assert.Null(user.DeactivatedAt);
        Assert.Null(user.DeactivationReason);
    }

    [Fact]
    public void A_viewer_has_no_role_to_remember()
    {
        var user = NewUser(UserRole.Viewer);
        user.Deactivate("gone", Now);

        Assert.Null(user.RoleBeforeDeactivation);
        user.Reactivate();
        Assert.Equal(UserRole.Viewer, user.Role);
    }

    [Fact]
    public void Deactivating_twice_keeps_the_first_reason_and_role()
    {
        var user = NewUser(UserRole.Admin);
        user.Deactivate("first", Now);

        Assert.False(user.Deactivate("second", Now.AddDays(1)));

        Assert.Equal("first", user.DeactivationReason);
        Assert.Equal(UserRole.Admin, user.RoleBeforeDeactivation);
        Assert.Equal(Now, user.DeactivatedAt);
    }

    [Fact]
    public void A_higher_role_granted_while_deactivated_is_kept_on_reactivation()
    {
        var user = NewUser(UserRole.Responder);
        user.Deactivate("gone", Now);
        user.Role = UserRole.Owner;

        user.Reactivate();

        Assert.Equal(UserRole.Owner, user.Role);
    }

    [Fact]
    public void Reactivating_an_active_user_changes_nothing()
    {
        var user = NewUser(UserRole.Responder);

        Assert.False(user.Reactivate());
        Assert.Equal(UserRole.Responder, user.Role);
    }

    [Fact]
    public void A_deactivation_needs_a_reason()
    {
        var user = NewUser(UserRole.Responder);

        Assert.ThrowsAny<ArgumentException>(() => user.Deactivate(" ", Now));
        Assert.True(user.IsActive);
        Assert.Equal(UserRole.Responder, user.Role);
    }
}
