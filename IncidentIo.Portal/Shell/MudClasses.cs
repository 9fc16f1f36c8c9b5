using System.Collections.Concurrent;
using MudBlazor;

namespace IncidentIo.Portal.Shell;

/// <summary>
/// The classes MudBlazor gives its buttons and chips, for plain elements drawn in their place. A
/// component keeps two render trees in the circuit for as long as its page is open; a plain
/// element with these classes looks the same and keeps nothing. Each string is built once, so
/// every circuit's render tree points at the same copy.
/// </summary>
public static class MudClasses
{
    private static readonly ConcurrentDictionary<(Variant, Color, Size), string> Buttons = new();
    private static readonly ConcurrentDictionary<(Variant, Color), string> Chips = new();

    /// <summary>A <c>MudButton</c>'s classes (with its ripple); put the text in a <c>span.mud-button-label</c>.</summary>
    public static string Button(Variant variant, Color color = Color.Default, Size size = Size.Medium) =>
        Buttons.GetOrAdd((variant, color, size), static key =>
        {
            var (v, c, s) = (Name(key.Item1), Name(key.Item2), Name(key.Item3));
            return $"mud-button-root mud-button mud-button-{v} mud-button-{v}-{c} mud-button-{v}-size-{s} mud-ripple";
        });

    /// <summary>A small <c>MudChip</c>'s classes; put the text in a <c>span.mud-chip-content</c>.</summary>
    public static string Chip(Color color, Variant variant = Variant.Filled) =>
        Chips.GetOrAdd((variant, color), static key => $"mud-chip mud-chip-{Name(key.Item1)} mud-chip-size-small mud-chip-color-{Name(key.Item2)}");

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
