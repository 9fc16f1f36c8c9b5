using System.Diagnostics.CodeAnalysis;

namespace IncidentIo.Domain;

/// <summary>Text cut to fit a column, marked with an ellipsis when it was cut.</summary>
public static class ClippedText
{
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Clip(string? text, int length) => text is null || text.Length <= length ? text : text[..(length - 1)] + "…";
}
