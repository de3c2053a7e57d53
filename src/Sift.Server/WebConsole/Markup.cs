using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Sift.Server.WebConsole;

/// <summary>
/// HTML the console trusts: a literal written by the page's code, or text that went through <see cref="Html.Of"/>,
/// which encodes every value interpolated into it. A page cannot emit a caller's text unencoded by accident.
/// </summary>
public readonly record struct Markup(string Value)
{
    public static Markup Empty { get; } = new("");

    public static Markup Join(IEnumerable<Markup> parts) => new(string.Concat(parts.Select(p => p.Value)));

    public override string ToString() => Value;
}

/// <summary>Builds <see cref="Markup"/> from an interpolated string: literals as written, values HTML-encoded (markup as is).</summary>
[InterpolatedStringHandler]
public ref struct HtmlHandler
{
    /// <summary>Encodes what HTML needs (&lt; &gt; &amp; quotes) and leaves other text readable (the default would escape every non-ASCII letter).</summary>
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private readonly StringBuilder _builder;

    public HtmlHandler(int literalLength, int formattedCount)
    {
        _builder = new StringBuilder(literalLength + (formattedCount * 16));
    }

    public readonly void AppendLiteral(string literal) => _builder.Append(literal);

    public readonly void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

    public readonly void AppendFormatted<T>(T value, string? format = null)
    {
        switch (value)
        {
            case Markup markup:
                _builder.Append(markup.Value);
                break;
            case IEnumerable<Markup> parts:
                // A list of markup is markup (overload resolution would pick this method over an IEnumerable one).
                foreach (var part in parts)
                {
                    _builder.Append(part.Value);
                }

                break;
            case IFormattable formattable:
                _builder.Append(Encoder.Encode(formattable.ToString(format, CultureInfo.InvariantCulture)));
                break;
            default:
                _builder.Append(Encoder.Encode(value?.ToString() ?? ""));
                break;
        }
    }

    internal readonly Markup ToMarkup() => new(_builder.ToString());
}

public static class Html
{
    /// <summary><c>Html.Of($"&lt;td&gt;{name}&lt;/td&gt;")</c>: the literal parts as written, <c>name</c> encoded.</summary>
    public static Markup Of(ref HtmlHandler html) => html.ToMarkup();

    /// <summary>Each item's markup, concatenated.</summary>
    public static Markup Each<T>(IEnumerable<T> items, Func<T, Markup> render) => Markup.Join(items.Select(render));

    /// <summary>Markup only when <paramref name="condition"/> holds.</summary>
    public static Markup If(bool condition, Func<Markup> render) => condition ? render() : Markup.Empty;

    /// <summary><c>text</c> with [start, end) wrapped in &lt;mark&gt;: the cited span in its passage.</summary>
    public static Markup Highlight(string text, int start, int end)
    {
        start = Math.Clamp(start, 0, text.Length);
        end = Math.Clamp(end, start, text.Length);
        return Of($"{text[..start]}<mark id=\"cited\">{text[start..end]}</mark>{text[end..]}");
    }
}
