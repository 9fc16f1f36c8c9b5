using Bunit;
using IncidentIo.Domain;
using IncidentIo.Domain.Setup;
using System.Reflection;
using IncidentIo.Portal.Setup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;
using Microsoft.Extensions.Hosting;
using MudBlazor.Services;

namespace IncidentIo.Portal.Tests.Setup;

/// <summary>
/// The product's real services for bUnit tests of setup components: the Domain on SQLite in a temp
/// folder (no job server) and the support contact, shared by the tests of one class.
/// </summary>
public sealed class SetupServices : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-setup-").FullName;

    public IHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        builder.Services.AddSetupFlows();
        builder.Services.AddSupportContact(builder.Configuration);
        // Sign-in is not set up here; pages that could call Graph get token acquisition that refuses.
        builder.Services.AddSingleton(NoMicrosoftCalls.Create<ITokenAcquisition>());
        Host = builder.Build();
        await Host.Services.PrepareIncidentIoAsync();
    }

    /// <summary>What every component test needs: MudBlazor, JS calls recorded, these services behind bUnit's own.</summary>
    public void AddTo(BunitContext context)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddFallbackServiceProvider(Host.Services);
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>An implementation of a Microsoft-facing interface that fails on any call.</summary>
public class NoMicrosoftCalls : DispatchProxy
{
    public static T Create<T>()
        where T : class => Create<T, NoMicrosoftCalls>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new NotSupportedException($"{targetMethod?.Name} would call Microsoft; these tests do not.");
}
