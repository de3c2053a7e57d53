using System.Globalization;

namespace Sift.Core;

/// <summary>Durations as people write them in options and query strings: 30m, 24h, 7d.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text, string option)
    {
        var unit = text.Length > 1 ? text[^1] : ' ';
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0 && double.IsFinite(amount))
        {
            switch (unit)
            {
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }

        throw new InvalidOptionException(option, $"'{text}' is not a duration such as 30m, 24h or 7d");
    }
}
