using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Data;

public sealed class DatabaseMigratorTests
{
    [Fact]
    public async Task An_unreachable_postgres_is_reported_in_one_line_naming_where()
    {
        var closedPort = FreePort.Next();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:IncidentIo"] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=nowhere;Timeout=3",
        }).Build();
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(new DataFolder(Path.GetTempPath()))
            .AddIncidentIoDatabase(configuration)
            .BuildValidated();

        var failure = await Assert.ThrowsAsync<StartupException>(() => services.GetRequiredService<DatabaseMigrator>().MigrateAsync());

        Assert.StartsWith($"the Postgres database cannot be reached (host 127.0.0.1, port {closedPort}, database nowhere)", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
    }

    [Theory]
    [InlineData("OrganizationId", "organization_id")]
    [InlineData("MicrosoftTenantId", "microsoft_tenant_id")]
    [InlineData("PK_Organizations", "pk_organizations")]
    [InlineData("IX_users_OrganizationId_MicrosoftObjectId", "ix_users_organization_id_microsoft_object_id")]
    [InlineData("Id", "id")]
    public void Schema_names_are_snake_case(string name, string expected) =>
        Assert.Equal(expected, IncidentIoDbContext.ToSnakeCase(name));
}
