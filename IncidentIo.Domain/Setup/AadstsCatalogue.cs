namespace IncidentIo.Domain.Setup;

/// <summary>Who can resolve an AADSTS error.</summary>
public enum WhoActs
{
    /// <summary>The person in front of the portal (usually the admin setting up IncidentIo).</summary>
    You = 0,

    /// <summary>An administrator of the customer's Microsoft organisation (Entra ID).</summary>
    MicrosoftAdmin = 1,

    /// <summary>IncidentIo support: the fault is in our app registration or our requests.</summary>
    Support = 2,
}

public static class WhoActsText
{
    public static string Describe(this WhoActs who) => who switch
    {
        WhoActs.You => "You",
        WhoActs.MicrosoftAdmin => "Your Microsoft admin",
        WhoActs.Support => "IncidentIo support",
        _ => "IncidentIo support",
    };
}

/// <summary>One AADSTS code in words an admin understands.</summary>
/// <param name="Code">The number after <c>AADSTS</c>.</param>
/// <param name="Title">One short sentence: what happened.</param>
/// <param name="Meaning">What it means for the admin, in a few sentences.</param>
/// <param name="NextStep">What to do next.</param>
/// <param name="WhoActs">Who can resolve it.</param>
public sealed record AadstsEntry(int Code, string Title, string Meaning, string NextStep, WhoActs WhoActs)
{
    public string Label => $"AADSTS{Code}";
}

/// <summary>
/// The AADSTS codes an admin meets while signing in to IncidentIo and granting its permissions,
/// each with what it means and who must act. Only codes whose meaning Microsoft documents are
/// listed ("Microsoft Entra authentication and authorization error codes"); anything else gets a
/// generic explanation and Microsoft's own lookup page.
/// </summary>
public static class AadstsCatalogue
{
    private const string ContactSupport = "contact IncidentIo support with the correlation and trace ids";

    /// <summary>Every code we explain, sorted by code.</summary>
    public static IReadOnlyList<AadstsEntry> All { get; } = Sorted(
    [
        // Admin consent and permissions.
        new(65004, "You cancelled the permission request.",
            "On Microsoft's permission page the request was declined (Cancel) instead of accepted.",
            "Nothing was granted. Start the step again when you are ready and choose Accept.",
            WhoActs.You),
        new(65001, "Consent has not been given yet.",
            "Nobody in your organisation has agreed yet to let IncidentIo use these permissions.",
            "Start the permission step again and choose Accept.",
            WhoActs.You),
        new(90094, "A Microsoft admin has to grant these permissions.",
            "Only an administrator can grant these permissions for the whole organisation, and your account cannot (or your organisation lets no user consent to apps).",
            "Ask a Global Administrator or Privileged Role Administrator of your organisation to open IncidentIo's setup page and grant the permissions.",
            WhoActs.MicrosoftAdmin),
        new(90095, "A Microsoft admin has to approve the request.",
            "Your organisation uses Microsoft's admin consent workflow: instead of granting, Microsoft offered to send an approval request to your administrators.",
            "If you sent the request, wait for an admin to approve it (Microsoft Entra admin center → Enterprise applications → Admin consent requests), then start the step again. Or ask a Global Administrator or Privileged Role Administrator to do this step.",
            WhoActs.MicrosoftAdmin),
        new(90008, "IncidentIo may not sign you in yet.",
            "Nobody in your organisation has consented to IncidentIo's basic permission: to sign you in and read your profile.",
            "Sign in again and accept Microsoft's prompt. If your organisation does not let users consent, ask your Microsoft admin to grant consent for IncidentIo.",
            WhoActs.You),
        new(65005, "IncidentIo asked for permissions it is not registered for.",
            "The permissions in the request do not match IncidentIo's app registration at Microsoft.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(650056, "IncidentIo's app registration does not match the request.",
            "Either IncidentIo's registration does not list the permissions it asked for, or consent for them is missing in your organisation.",
            $"Start the permission step again. If it happens again, {ContactSupport}.",
            WhoActs.Support),
        new(650057, "IncidentIo asked for access to a service it is not registered for.",
            "The request named a resource (API) that IncidentIo's app registration does not list.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(500011, "A service IncidentIo needs is not known in your organisation.",
            "Microsoft could not find the resource (API) in your tenant: nobody has consented to it there, or the request went to another organisation.",
            $"Sign in with an account of the organisation you are setting up and start the step again. If it persists, {ContactSupport}.",
            WhoActs.Support),

        // Which organisation and which app.
        new(50020, "That account belongs to another Microsoft organisation.",
            "The account you signed in with is not a member of the organisation being set up, so it cannot use IncidentIo there.",
            "Sign in with an admin account of the organisation you are setting up.",
            WhoActs.You),
        new(50034, "That account does not exist in this organisation.",
            "Microsoft found no such account in the organisation: the address may be mistyped, or the account lives in another tenant.",
            "Check the address and sign in with an account of your own organisation. If the person should have access as a guest, your Microsoft admin can invite them.",
            WhoActs.You),
        new(90002, "Microsoft does not know that organisation.",
            "The tenant named in the request was not found, for example because the domain is not registered with Microsoft.",
            $"Sign in with your work account (not a personal one) and try again. If it persists, {ContactSupport}.",
            WhoActs.You),
        new(50059, "Microsoft could not tell which organisation to sign you in to.",
            "Neither the request nor your account said which tenant to use.",
            $"Start the sign-in again from IncidentIo. If it persists, {ContactSupport}.",
            WhoActs.Support),
        new(700016, "Microsoft does not know our app in your organisation.",
            "IncidentIo was not found in the tenant: it may have been removed there, or the request went to another organisation.",
            $"Try again with an account of your organisation. If it persists, {ContactSupport}.",
            WhoActs.Support),
        new(7000112, "IncidentIo is disabled.",
            "Microsoft reports the application as disabled, so it issues no sign-ins for it.",
            $"Ask your Microsoft admin whether IncidentIo was disabled in your organisation (Enterprise applications → IncidentIo → Properties). If not, {ContactSupport}.",
            WhoActs.MicrosoftAdmin),
        new(50105, "You are not assigned to IncidentIo.",
            "Your organisation requires people to be assigned to IncidentIo before they can sign in, and your account is not.",
            "Ask your Microsoft admin to assign you (Enterprise applications → IncidentIo → Users and groups).",
            WhoActs.MicrosoftAdmin),

        // Our app registration and requests.
        new(50011, "The return address is not registered for our app.",
            "Microsoft was asked to send you back to an address IncidentIo's registration does not list.",
            $"This is a configuration problem on our side: {ContactSupport}.",
            WhoActs.Support),
        new(50194, "IncidentIo's app is not registered for other organisations.",
            "The app registration is single-tenant, so Microsoft refuses sign-ins from your organisation.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(700054, "IncidentIo's sign-in is not set up as requested.",
            "The sign-in asked for an ID token directly, which IncidentIo's app registration does not allow.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(7000218, "IncidentIo did not prove its identity to Microsoft.",
            "The request for a token carried no client secret or certificate.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(7000215, "IncidentIo's credentials were refused.",
            "The client secret IncidentIo presented is not valid.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(7000222, "IncidentIo's credentials have expired.",
            "The client secret IncidentIo presented has expired.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),
        new(900144, "The request to Microsoft was incomplete.",
            "IncidentIo left out a parameter Microsoft requires.",
            $"This is ours to fix: {ContactSupport}.",
            WhoActs.Support),

        // The account itself.
        new(50126, "Wrong user name or password.",
            "Microsoft could not verify the credentials entered.",
            "Sign in again and check the user name and password. If you forgot the password, reset it or ask your Microsoft admin.",
            WhoActs.You),
        new(50055, "Your password has expired.",
            "Your organisation's password policy requires a new password.",
            "Change your password when Microsoft offers it, or ask your Microsoft admin to reset it, then sign in again.",
            WhoActs.You),
        new(50053, "The account is locked.",
            "Either there were too many sign-in attempts with a wrong password, or the sign-in came from an IP address Microsoft considers malicious.",
            "Wait a while and try again. Your Microsoft admin can see which of the two it was in the sign-in logs (failure reason of error 50053) and unblock the account.",
            WhoActs.MicrosoftAdmin),
        new(50057, "The account is disabled.",
            "Your organisation has disabled this account.",
            "Sign in with another admin account, or ask your Microsoft admin to enable this one.",
            WhoActs.MicrosoftAdmin),
        new(50058, "Microsoft could not sign you in without asking.",
            "There was no usable Microsoft session in this browser, so a silent sign-in was not possible. This is expected when you have not signed in yet.",
            "Start the sign-in again from IncidentIo and sign in when Microsoft asks.",
            WhoActs.You),
        new(50173, "Your Microsoft session was revoked.",
            "You or an admin revoked your sign-in sessions, so Microsoft needs you to sign in afresh.",
            "Sign in again.",
            WhoActs.You),

        // Multifactor authentication and Conditional Access.
        new(50072, "You need to set up multifactor authentication.",
            "Your organisation requires a second factor and your account has none registered yet.",
            "Sign in again and register a second factor when Microsoft asks.",
            WhoActs.You),
        new(50076, "Multifactor authentication is required.",
            "A policy of your organisation (Conditional Access, per-user MFA) or a new location means this sign-in needs a second factor.",
            "Sign in again and complete the multifactor prompt.",
            WhoActs.You),
        new(50079, "You must register for multifactor authentication.",
            "A policy of your organisation requires multifactor authentication and your account has no security info registered (federated accounts: your identity provider must supply it).",
            "Sign in again and register your security info when Microsoft asks. If you cannot, ask your Microsoft admin.",
            WhoActs.You),
        new(53003, "A Conditional Access policy blocked the request.",
            "Your organisation's Conditional Access policies do not allow this sign-in.",
            "Ask your Microsoft admin to look the correlation id up in the sign-in logs and check which Conditional Access policy applied.",
            WhoActs.MicrosoftAdmin),
        new(53000, "Your device does not meet your organisation's rules.",
            "A Conditional Access policy requires a compliant (managed) device, and this one is not.",
            "Use a device your organisation manages, or ask your Microsoft admin how to enrol this one.",
            WhoActs.MicrosoftAdmin),
        new(50131, "Conditional Access refused the sign-in.",
            "One of your organisation's access policies failed, for example because of the device's state or suspicious activity.",
            "Ask your Microsoft admin to look the correlation id up in the sign-in logs.",
            WhoActs.MicrosoftAdmin),
        new(530032, "A security policy of your organisation blocked the request.",
            "Your organisation has a tenant-wide security policy that this request does not meet.",
            "Ask your Microsoft admin to check the security policies defined for your tenant.",
            WhoActs.MicrosoftAdmin),
        new(530035, "Microsoft's security defaults blocked the request.",
            "Your organisation uses Microsoft's security defaults, which judged this sign-in unsafe (for example legacy authentication).",
            "Ask your Microsoft admin to look the correlation id up in the sign-in logs.",
            WhoActs.MicrosoftAdmin),
    ]);

    /// <summary>For an unknown code with <c>error=access_denied</c>.</summary>
    public static Explanation AccessDenied { get; } = new(
        "Microsoft refused the request.",
        "Try again; if it persists, contact support with the ids below.",
        "Microsoft answered with access_denied and a reason IncidentIo does not know in detail.",
        WhoActs.Support);

    /// <summary>For an unknown code, or no code at all.</summary>
    public static Explanation Generic { get; } = new(
        "Microsoft returned an error.",
        "Try again; if it persists, contact support with the ids below.",
        "IncidentIo has no explanation for this answer; Microsoft's description and the ids are what support needs.",
        WhoActs.Support);

    private static readonly Dictionary<int, AadstsEntry> ByCode = All.ToDictionary(e => e.Code);

    public static AadstsEntry? Find(int? code) => code is { } value && ByCode.TryGetValue(value, out var entry) ? entry : null;

    /// <summary>The catalogue entry for the code, or the generic explanation (access_denied has its own).</summary>
    public static Explanation Explain(int? code, string? error) => Find(code) switch
    {
        { } entry => new Explanation(entry.Title, entry.NextStep, entry.Meaning, entry.WhoActs, entry),
        null when error == "access_denied" => AccessDenied,
        null => Generic,
    };

    /// <summary>
    /// Entries matching every word of <paramref name="text"/> in their code (with or without
    /// <c>AADSTS</c>), title, meaning or next step, case-insensitively; all entries for empty text.
    /// </summary>
    public static IReadOnlyList<AadstsEntry> Search(string? text)
    {
        var words = (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? All : [.. All.Where(entry => words.All(word => Matches(entry, word)))];
    }

    /// <summary>Microsoft's own lookup page for a code (it knows codes we do not list).</summary>
    public static Uri MicrosoftLookup(int code) =>
        new($"https://login.microsoftonline.com/error?code={code.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    private static bool Matches(AadstsEntry entry, string word)
    {
        if (word.StartsWith("AADSTS", StringComparison.OrdinalIgnoreCase))
        {
            // "AADSTS" alone matches every entry; "AADSTS5000" the codes containing 5000.
            return entry.Code.ToString(System.Globalization.CultureInfo.InvariantCulture).Contains(word[6..], StringComparison.Ordinal);
        }

        return entry.Code.ToString(System.Globalization.CultureInfo.InvariantCulture).Contains(word, StringComparison.Ordinal)
            || entry.Title.Contains(word, StringComparison.OrdinalIgnoreCase)
            || entry.Meaning.Contains(word, StringComparison.OrdinalIgnoreCase)
            || entry.NextStep.Contains(word, StringComparison.OrdinalIgnoreCase);
    }

    private static AadstsEntry[] Sorted(AadstsEntry[] entries) => [.. entries.OrderBy(e => e.Code)];
}

/// <summary>What happened and what to do next, in words an admin understands.</summary>
/// <param name="What">One short sentence.</param>
/// <param name="NextStep">What to do next.</param>
/// <param name="Meaning">A few sentences on what it means.</param>
/// <param name="WhoActs">Who can resolve it.</param>
/// <param name="Entry">The catalogue entry, when the code is one we know.</param>
public sealed record Explanation(string What, string NextStep, string Meaning = "", WhoActs WhoActs = WhoActs.Support, AadstsEntry? Entry = null);
