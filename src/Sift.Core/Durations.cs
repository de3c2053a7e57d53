using System.Globalization;

namespace Sift.Core;

/// <summary>Durations as people write them in options and query strings: 30m, 24h, 7d.</summary>
public static class Durations
{
    /// <summary>The longest duration accepted: ten years (windows of query logs are days or weeks).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(3650);

    public static TimeSpan Parse(string text, string option)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        var days = unit switch { 'm' => 1.0 / 1440, 'h' => 1.0 / 24, _ => 1.0 };
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && double.IsFinite(amount)
            && amount * days <= Longest.TotalDays)
        {
            switch (unit)
            {
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }

        throw new InvalidOptionException(option, $"'{text}' is not a duration such as 30m, 24h or 7d (at most {Longest.TotalDays:0} days)");
    }
}
