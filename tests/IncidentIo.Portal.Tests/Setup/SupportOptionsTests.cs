using IncidentIo.Portal.Setup;

namespace IncidentIo.Portal.Tests.Setup;

public sealed class SupportOptionsTests
{
    [Theory]
    [InlineData("support@incidentio.example")]
    [InlineData("help.desk+teams@support.contoso.co.uk")]
    public void An_email_address_is_accepted(string email) =>
        Assert.True(new SupportOptionsValidator().Validate(null, new SupportOptions { Email = email }).Succeeded);

    [Theory]
    [InlineData("")]
    [InlineData("support")]
    [InlineData("support@localhost")]
    [InlineData("Support <support@incidentio.example>")]
    [InlineData("support@incidentio.example?cc=someone@example.com")]
    public void Anything_else_is_refused_naming_the_key(string email)
    {
        var result = new SupportOptionsValidator().Validate(null, new SupportOptions { Email = email });

        Assert.True(result.Failed);
        Assert.Equal($"Support:Email must be an e-mail address, like 'support@incidentio.example', not '{email}'.", result.FailureMessage);
    }
}
