using MudBlazor;

namespace IncidentIo.Portal.Shell;

public static class PortalTheme
{
    // System fonts only: the portal loads nothing from outside its own origin.
    private static readonly string[] FontFamily = ["Segoe UI", "system-ui", "-apple-system", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5",
            Secondary = "#f05d3a",
            AppbarBackground = "#312e81",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = FontFamily },
        },
    };
}
