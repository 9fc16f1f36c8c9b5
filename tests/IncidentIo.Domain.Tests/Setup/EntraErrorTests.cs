using IncidentIo.Domain.Setup;

namespace IncidentIo.Domain.Tests.Setup;

public sealed class EntraErrorTests
{
    // As Entra sends it on the admin consent redirect when the admin clicks Cancel.
    private const string Cancelled =
        "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: 0b5e3e7a-1f2d-4c3b-9a8e-2d1c0f9e8b7a\r\n" +
        "Correlation ID: 5d2c9e1b-7a3f-4e6d-8c2b-1a0f9e8d7c6b\r\nTimestamp: 2023-08-28 11:25:19Z";

    [Fact]
    public void The_code_and_ids_are_read_from_the_description()
    {
        var error = EntraError.Parse("access_denied", Cancelled);

        Assert.Equal(65004, error.Code);
        Assert.Equal("0b5e3e7a-1f2d-4c3b-9a8e-2d1c0f9e8b7a", error.TraceId);
        Assert.Equal("5d2c9e1b-7a3f-4e6d-8c2b-1a0f9e8d7c6b", error.CorrelationId);
        Assert.Equal("2023-08-28 11:25:19Z", error.Timestamp);
        Assert.Equal("AADSTS65004: User declined to consent to access the app.", error.Description);
    }

    [Fact]
    public void A_failed_sign_ins_protocol_message_gives_the_same_error()
    {
        var message = $"Message contains error: 'access_denied', error_description: '{Cancelled}', error_uri: 'https://login.microsoftonline.com/error?code=65004'.";

        var error = EntraError.FromProtocolMessage(message);

        Assert.NotNull(error);
        Assert.Equal("access_denied", error.Error);
        Assert.Equal(65004, error.Code);
        Assert.Equal("5d2c9e1b-7a3f-4e6d-8c2b-1a0f9e8d7c6b", error.CorrelationId);
        Assert.Null(EntraError.FromProtocolMessage("Correlation failed."));
    }

    [Theory]
    [InlineData(65004, "You cancelled the permission request.")]
    [InlineData(90094, "A Microsoft admin has to grant these permissions.")]
    [InlineData(50020, "That account belongs to another Microsoft organisation.")]
    [InlineData(700016, "Microsoft does not know our app in your organisation.")]
    [InlineData(53003, "A Conditional Access policy blocked the request.")]
    public void Each_code_an_admin_meets_has_a_human_explanation(int code, string what)
    {
        var error = EntraError.Parse("access_denied", $"AADSTS{code}: whatever Microsoft says.\r\nTrace ID: t\r\nCorrelation ID: c");

        Assert.Equal(what, error.Explain().What);
        Assert.NotEmpty(error.Explain().NextStep);
    }

    [Fact]
    public void A_description_without_a_code_still_explains_something()
    {
        var error = EntraError.Parse("permission_denied", "The admin canceled the request");

        Assert.Null(error.Code);
        Assert.Null(error.CorrelationId);
        Assert.Equal("Microsoft returned an error.", error.Explain().What);
    }
}
