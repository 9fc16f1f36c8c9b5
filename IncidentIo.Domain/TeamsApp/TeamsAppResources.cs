namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// The files of <c>teams-manifest/</c>, embedded in this assembly (see IncidentIo.Domain.csproj)
/// so a published Portal serves the package without the repository next to it.
/// </summary>
public static class TeamsAppResources
{
    public const string ManifestTemplateName = "IncidentIo.TeamsApp.manifest.template.json";
    public const string ColorIconName = "IncidentIo.TeamsApp.color.png";
    public const string OutlineIconName = "IncidentIo.TeamsApp.outline.png";

    public static string ReadManifestTemplate()
    {
        using var reader = new StreamReader(Open(ManifestTemplateName));
        return reader.ReadToEnd();
    }

    public static byte[] ReadColorIcon() => ReadAllBytes(ColorIconName);

    public static byte[] ReadOutlineIcon() => ReadAllBytes(OutlineIconName);

    private static byte[] ReadAllBytes(string name)
    {
        using var stream = Open(name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static Stream Open(string name) =>
        typeof(TeamsAppResources).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The embedded resource {name} is missing from IncidentIo.Domain.");
}
