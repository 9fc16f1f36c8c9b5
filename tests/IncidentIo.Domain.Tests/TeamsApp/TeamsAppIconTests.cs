using IncidentIo.Domain.TeamsApp;

namespace IncidentIo.Domain.Tests.TeamsApp;

public sealed class TeamsAppIconTests
{
    [Fact]
    public void The_colour_icon_is_192_pixels_square_and_opaque()
    {
        var icon = PngImage.Decode(TeamsAppResources.ReadColorIcon());

        Assert.Equal((192, 192), (icon.Width, icon.Height));
        // Colour type RGB has no alpha channel at all: Teams puts this icon on any background.
        Assert.Equal(PngImage.ColorTypeRgb, icon.ColorType);
        Assert.True(icon.AllPixels().Select(pixel => (pixel.R, pixel.G, pixel.B)).Distinct().Count() > 2, "the colour icon should be in colour");
    }

    [Fact]
    public void The_outline_icon_is_32_pixels_square_white_on_transparent()
    {
        var icon = PngImage.Decode(TeamsAppResources.ReadOutlineIcon());

        Assert.Equal((32, 32), (icon.Width, icon.Height));
        Assert.Equal(PngImage.ColorTypeRgba, icon.ColorType);
        Assert.Equal(0, icon.Pixel(0, 0).A);
        Assert.Equal(0, icon.Pixel(31, 31).A);
        var visible = icon.AllPixels().Where(pixel => pixel.A > 0).ToList();
        Assert.NotEmpty(visible);
        Assert.All(visible, pixel => Assert.Equal((255, 255, 255), (pixel.R, pixel.G, pixel.B)));
        Assert.True(icon.AllPixels().Count(pixel => pixel.A == 0) > 32 * 32 / 2, "most of the outline icon should be transparent");
    }

    [Fact]
    public void The_manifest_points_at_the_icons_by_their_names_in_the_package()
    {
        var icons = TeamsAppTestOptions.Package(new TeamsAppOptions()).RenderManifest()["icons"]!;

        Assert.Equal(TeamsAppPackage.ColorIconEntryName, (string?)icons["color"]);
        Assert.Equal(TeamsAppPackage.OutlineIconEntryName, (string?)icons["outline"]);
    }
}
