using Sift.Server.WebConsole;
using Sift.Evaluation.Statistics;

namespace Sift.Tests.Console;

/// <summary>The console's HTML builder encodes every value, and the monitoring histogram counts as worked out by hand.</summary>
public sealed class MarkupTests
{
    [Fact]
    public void ValuesAreEncodedAndMarkupIsNot()
    {
        var name = "<script>alert('x')</script> & \"quotes\"";
        var cell = Html.Of($"<td title=\"{name}\">{name}</td>");
        Assert.Equal("<td title=\"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;\">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;</td>", cell.Value);

        // Markup, lists of markup and nested builders are included as they are, not encoded twice.
        List<Markup> items = [Html.Of($"<li>{"a<b"}</li>"), Html.Of($"<li>{"c"}</li>")];
        Assert.Equal("<ul><li>a&lt;b</li><li>c</li></ul>", Html.Of($"<ul>{items}</ul>").Value);
        Assert.Equal("<p>1.50 · 0.25</p>", Html.Of($"<p>{1.5:0.00} · {0.25}</p>").Value); // invariant numbers
        Assert.Equal("<p>café › naïve</p>", Html.Of($"<p>{"café › naïve"}</p>").Value); // letters stay readable
    }

    [Fact]
    public void TheCitedSpanIsMarkedAndOutOfRangeOffsetsAreClamped()
    {
        Assert.Equal("Refunds <mark id=\"cited\">within 30 days</mark> &amp; more", Html.Highlight("Refunds within 30 days & more", 8, 22).Value);
        Assert.Equal("<mark id=\"cited\">abc</mark>", Html.Highlight("abc", -5, 99).Value);
        Assert.Equal("ab<mark id=\"cited\"></mark>c", Html.Highlight("abc", 2, 1).Value);
    }

    [Fact]
    public void TheTopScoreHistogramHasEqualBinsFromTheLowestToTheHighestValue()
    {
        // Range 1..5 in 4 bins of width 1: [1,2) [2,3) [3,4) [4,5]; the maximum falls in the last bin.
        var (edges, counts) = Histogram.EqualWidth([1.0, 1.5, 2.0, 3.9, 5.0, 4.0], 4);
        Assert.Equal([1.0, 2.0, 3.0, 4.0], edges);
        Assert.Equal([2, 1, 1, 2], counts);

        // One distinct value: all in the first bin.
        Assert.Equal([3, 0], Histogram.EqualWidth([2.0, 2.0, 2.0], 2).Counts);
        Assert.Empty(Histogram.EqualWidth([], 4).Edges);
    }
}
