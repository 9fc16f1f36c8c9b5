using Bunit;
using IncidentIo.Domain.Hosting;

namespace IncidentIo.Portal.Tests;

/// <summary>bUnit's own service provider, built with the checks every product host uses.</summary>
public abstract class ValidatedBunitContext : BunitContext
{
    protected ValidatedBunitContext() => Services.Options = ValidatedServiceProvider.Options;
}
