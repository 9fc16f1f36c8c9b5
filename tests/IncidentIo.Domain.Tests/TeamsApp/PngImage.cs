using System.Buffers.Binary;
using System.IO.Compression;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>
/// Just enough of a PNG decoder to check our icons: 8-bit RGB or RGBA, not interlaced, every
/// row filter. Reading the pixels ourselves (rather than trusting the header) is how the test
/// knows the outline icon really is transparent.
/// </summary>
internal sealed class PngImage
{
    public const byte ColorTypeRgb = 2;
    public const byte ColorTypeRgba = 6;

    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly byte[] pixels;

    private PngImage(int width, int height, byte colorType, byte[] pixels)
    {
        Width = width;
        Height = height;
        ColorType = colorType;
        this.pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte ColorType { get; }

    private int Channels => ColorType == ColorTypeRgba ? 4 : 3;

    /// <summary>(red, green, blue, alpha) of a pixel; alpha is 255 for an RGB image.</summary>
    public (byte R, byte G, byte B, byte A) Pixel(int x, int y)
    {
        var at = ((y * Width) + x) * Channels;
        return (pixels[at], pixels[at + 1], pixels[at + 2], Channels == 4 ? pixels[at + 3] : (byte)255);
    }

    public IEnumerable<(byte R, byte G, byte B, byte A)> AllPixels()
    {
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                yield return Pixel(x, y);
            }
        }
    }

    public static PngImage Decode(byte[] png)
    {
        if (!png.AsSpan(0, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException("Not a PNG file.");
        }

        int width = 0, height = 0;
        byte colorType = 0;
        using var compressed = new MemoryStream();
        for (var at = Signature.Length; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                colorType = data[9];
                if (data[8] != 8 || colorType is not (ColorTypeRgb or ColorTypeRgba) || data[12] != 0)
                {
                    throw new InvalidDataException($"Only 8-bit, non-interlaced RGB or RGBA is read here (bit depth {data[8]}, colour type {colorType}).");
                }
            }
            else if (type == "IDAT")
            {
                compressed.Write(data);
            }

            at += 12 + length;
        }

        compressed.Position = 0;
        using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        var channels = colorType == ColorTypeRgba ? 4 : 3;
        return new PngImage(width, height, colorType, Unfilter(raw.ToArray(), width, height, channels));
    }

    private static byte[] Unfilter(byte[] raw, int width, int height, int channels)
    {
        var stride = width * channels;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                var value = raw[(y * (stride + 1)) + 1 + i];
                int left = i >= channels ? pixels[(y * stride) + i - channels] : 0;
                int up = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int upLeft = y > 0 && i >= channels ? pixels[((y - 1) * stride) + i - channels] : 0;
                pixels[(y * stride) + i] = (byte)(value + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"Unknown PNG row filter {filter}."),
                });
            }
        }

        return pixels;
    }

    private static int Paeth(int left, int up, int upLeft)
    {
        var estimate = left + up - upLeft;
        var toLeft = Math.Abs(estimate - left);
        var toUp = Math.Abs(estimate - up);
        var toUpLeft = Math.Abs(estimate - upLeft);
        return toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
    }
}
