using System.Net;
using System.Text.RegularExpressions;
using PhoneNumbers;
using Sift.Core.Stages;

namespace Sift.Guardrails.Pii;

/// <summary>
/// Personal data and secrets by pattern, confirmed where the type has a check: payment cards (issuer prefix, length,
/// Luhn), IBANs (country length, mod 97), Brazilian CPFs (mod 11), Canadian SINs (Luhn); email addresses; phone numbers
/// (libphonenumber's parser: international numbers in any country's format, national ones in the regions given);
/// US SSNs and UK National Insurance numbers (by their issuing rules: they carry no check digit); IPv4 and IPv6
/// addresses (parsed); secrets (known key formats, and long high-entropy values given to a key, token or password);
/// street addresses (a number, a name and a street word). Where two matches overlap, the confirmed and then the longer wins.
/// </summary>
public sealed partial class RulePiiDetector(IReadOnlyList<string>? phoneRegions = null) : IPiiDetector
{
    /// <summary>Regions whose national phone formats are read when a number has no country code.</summary>
    public static IReadOnlyList<string> DefaultPhoneRegions { get; } = ["US", "GB", "DE", "FR"];

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    public IReadOnlyDictionary<string, bool> Types { get; } = new Dictionary<string, bool>(StringComparer.Ordinal)
    {
        ["email"] = false, ["card"] = true, ["iban"] = true, ["cpf"] = true, ["sin"] = true, ["ssn"] = false, ["nino"] = false,
        ["ip"] = false, ["secret"] = false, ["address"] = false, ["phone"] = false,
    };
    private readonly IReadOnlyList<string> _phoneRegions = phoneRegions ?? DefaultPhoneRegions;

    public IReadOnlyList<PiiMatch> Find(string text)
    {
        var found = new List<PiiMatch>();
        Add(found, Email(), text, "email", _ => true, checksummed: false);
        Add(found, CardCandidate(), text, "card", IsCard, checksummed: true);
        Add(found, IbanCandidate(), text, "iban", IsIban, checksummed: true);
        Add(found, CpfCandidate(), text, "cpf", v => Checksums.Cpf(Digits(v)), checksummed: true);
        // SINs begin 1-7 (by province) or 9 (temporary residents); none begins 0 or 8.
        Add(found, SinCandidate(), text, "sin", v => Digits(v) is var d && d[0] is not ('0' or '8') && Checksums.Luhn(d), checksummed: true);
        Add(found, Ssn(), text, "ssn", _ => true, checksummed: false);
        Add(found, Nino(), text, "nino", _ => true, checksummed: false);
        Add(found, CompactNino(), text, "nino", _ => true, checksummed: false);
        Add(found, Ipv4(), text, "ip", v => IPAddress.TryParse(v, out _), checksummed: false);
        Add(found, Ipv6(), text, "ip", v => v.Count(c => c == ':') >= 2 && IPAddress.TryParse(v, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6, checksummed: false);
        Add(found, KnownSecret(), text, "secret", _ => true, checksummed: false);
        foreach (Match match in AssignedSecret().Matches(text))
        {
            var value = match.Groups["value"];
            if (Entropy(value.ValueSpan) >= 3.5)
            {
                found.Add(new PiiMatch("secret", value.Index, value.Length, false));
            }
        }

        Add(found, StreetAddress(), text, "address", _ => true, checksummed: false);
        AddPhones(found, text);
        return Resolve(found);
    }

    private static void Add(List<PiiMatch> found, Regex pattern, string text, string type, Func<string, bool> confirm, bool checksummed)
    {
        foreach (Match match in pattern.Matches(text))
        {
            if (confirm(match.Value))
            {
                found.Add(new PiiMatch(type, match.Index, match.Length, checksummed));
            }
        }
    }

    private void AddPhones(List<PiiMatch> found, string text)
    {
        // A digit run is worth the parser only when it has seven digits or more.
        if (!SevenDigits().IsMatch(text))
        {
            return;
        }

        foreach (var region in _phoneRegions)
        {
            // Strict grouping: the digits must be grouped as the number's country writes them, which dates, order
            // numbers and version strings are not.
            foreach (var phone in Phones.FindNumbers(text, region, PhoneNumberUtil.Leniency.STRICT_GROUPING, long.MaxValue))
            {
                // The parser keeps an opening parenthesis whose closing one follows the number: not part of it.
                var (start, length) = phone.RawString.StartsWith('(') && !phone.RawString.Contains(')', StringComparison.Ordinal)
                    ? (phone.Start + 1, phone.Length - 1) : (phone.Start, phone.Length);
                if (IsPhone(text, start, length))
                {
                    found.Add(new PiiMatch("phone", start, length, false));
                }
            }
        }
    }

    /// <summary>
    /// A parsed number reads as a phone number in running text: seven to fifteen digits (E.164), at most twelve
    /// without a country code unless grouped, ten or more when written as one run ("PD 0332991" is a drug's code), and
    /// not part of a longer code ("SKU AB-02666-15", "build 5.2.9759.1684").
    /// </summary>
    private static bool IsPhone(string text, int start, int length)
    {
        var value = text.AsSpan(start, length);
        var digits = 0;
        foreach (var c in value)
        {
            digits += char.IsAsciiDigit(c) ? 1 : 0;
        }

        var before = start > 0 ? text[start - 1] : ' ';
        var grouped = value[0] == '+' || value.ContainsAny(" -().");
        var decimalNumber = !value.ContainsAny(" -()+") && value.Count('.') == 1; // "0.408730"
        return digits is >= 7 and <= 15 && !decimalNumber
            && (grouped ? value[0] == '+' || digits <= 12 || value.ContainsAny(' ', '-') : digits >= 10)
            && !char.IsLetterOrDigit(before) && before is not ('-' or '.' or '/' or '#');
    }

    /// <summary>Non-overlapping matches in text order: of overlapping ones, checksum-confirmed first, then the longest.</summary>
    private static List<PiiMatch> Resolve(List<PiiMatch> found)
    {
        var kept = new List<PiiMatch>();
        foreach (var match in found.OrderByDescending(m => m.Checksummed).ThenByDescending(m => m.Length).ThenBy(m => m.Start))
        {
            if (!kept.Any(k => match.Start < k.Start + k.Length && k.Start < match.Start + match.Length))
            {
                kept.Add(match);
            }
        }

        kept.Sort((a, b) => a.Start.CompareTo(b.Start));
        return kept;
    }

    private static bool IsCard(string value)
    {
        var digits = Digits(value);
        return digits.Length is >= 13 and <= 19 && digits[0] is >= '2' and <= '6' && Checksums.Luhn(digits)
            && (value.Length == digits.Length || ConsistentGroups(value));
    }

    /// <summary>Separated digits read as one card number only when grouped as cards print them (4-4-4-4, 4-6-5, 4-4-4-4-3), one kind of separator.</summary>
    private static bool ConsistentGroups(string value)
    {
        var groups = value.Split(' ', '-', '.');
        var kinds = (value.Contains(' ') ? 1 : 0) + (value.Contains('-') ? 1 : 0) + (value.Contains('.') ? 1 : 0);
        return kinds == 1 && groups[0].Length == 4 && groups.Skip(1).All(g => g.Length is >= 2 and <= 6);
    }

    private static bool IsIban(string value)
    {
        var compact = value.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
        return Checksums.IbanLength(compact.AsSpan(0, 2)) == compact.Length && Checksums.Iban(compact);
    }

    private static string Digits(string value) => string.Concat(value.Where(char.IsAsciiDigit));

    /// <summary>Shannon entropy in bits per character: random keys score above 3.5, words and repeated characters below.</summary>
    private static double Entropy(ReadOnlySpan<char> value)
    {
        var counts = new Dictionary<char, int>();
        foreach (var c in value)
        {
            counts[c] = counts.GetValueOrDefault(c) + 1;
        }

        var length = (double)value.Length;
        return -counts.Values.Sum(n => n / length * Math.Log2(n / length));
    }

    [GeneratedRegex(@"(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.[A-Za-z]{2,24}\b")]
    private static partial Regex Email();

    // Not inside a word, a URL or a path ("/vs/5309904231178427" is an identifier in a link, not a card number).
    [GeneratedRegex(@"(?<![\w/=.-])(?:\d[ .-]?){12,18}\d(?![\w/]|[.-]\d)")]
    private static partial Regex CardCandidate();

    // Run together, or printed in groups of four (the last shorter) split by spaces or hyphens.
    [GeneratedRegex(@"\b[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?:[ -][A-Za-z0-9]{4}){2,7}(?:[ -][A-Za-z0-9]{1,4})?)\b")]
    private static partial Regex IbanCandidate();

    [GeneratedRegex(@"(?<![\d.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d|[.-]\d)")]
    private static partial Regex CpfCandidate();

    [GeneratedRegex(@"(?<!\d[ -]?)\d{3}([ -])\d{3}\1\d{3}(?!\d|[ -]\d)")]
    private static partial Regex SinCandidate();

    [GeneratedRegex(@"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")]
    private static partial Regex Ssn();

    // Prefix letters exclude D, F, I, Q, U, V (first) and O too (second), and BG, GB, NK, KN, TN, NT, ZZ are never issued.
    // Written spaced ("AB 12 34 56 C"); run together only after words that name it, since drug and part codes look the
    // same ("SR141716A").
    [GeneratedRegex(@"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] \d{2} \d{2} \d{2} [A-D]\b")]
    private static partial Regex Nino();

    [GeneratedRegex(@"(?<=(?i:national insurance(?: number)?|NI number|NINO)\W{1,5})(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]\b")]
    private static partial Regex CompactNino();

    [GeneratedRegex(@"(?<![\d.]|[vV]|(?i:version |release ))(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d|\.\d)")]
    private static partial Regex Ipv4();

    [GeneratedRegex(@"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")]
    private static partial Regex Ipv6();

    // AWS access keys, GitHub, Slack, Stripe, OpenAI-style and Google API keys, JSON web tokens, PEM private keys.
    [GeneratedRegex(@"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|xox[abprs]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|sk-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})|-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----(?:[\s\S]{0,16000}?-----END (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----)?")]
    private static partial Regex KnownSecret();

    [GeneratedRegex(@"(?i:api[_-]?key|secret|token|password|passwd|pwd|access[_-]?key)[""']?\s*[:=]\s*[""']?(?<value>[A-Za-z0-9+/_\-.=!@#$%^&*]{16,})")]
    private static partial Regex AssignedSecret();

    // USPS street suffixes (each also plural), after a house number (not a year: "2012 International Union") and one to
    // three capitalised words.
    [GeneratedRegex(@"\b(?!(?:19|20)\d\d\b)\d{1,6}[A-Za-z]?\s+(?:[A-Z][\p{L}'-]+\s+){1,3}(?:Alley|Annex|Arcade|Avenue|Ave|Bayou|Beach|Bend|Bluff|Bottom|Boulevard|Blvd|Branch|Bridge|Brook|Burg|Bypass|Camp|Canyon|Cape|Causeway|Center|Centre|Circle|Cir|Cliff|Club|Common|Corner|Course|Court|Ct|Cove|Creek|Crescent|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drive|Dr|Estate|Expressway|Extension|Fall|Ferry|Field|Flat|Ford|Forest|Forge|Fork|Fort|Freeway|Garden|Gateway|Glen|Green|Grove|Harbor|Harbour|Haven|Heights|Highway|Hwy|Hill|Hollow|Inlet|Island|Isle|Junction|Key|Knoll|Lake|Landing|Lane|Ln|Light|Loaf|Lock|Lodge|Loop|Mall|Manor|Meadow|Mews|Mill|Mission|Motorway|Mount|Mountain|Neck|Orchard|Oval|Overpass|Park|Parkway|Pkwy|Pass|Passage|Path|Pike|Pine|Place|Pl|Plain|Plaza|Point|Port|Prairie|Radial|Ramp|Ranch|Rapid|Rest|Ridge|River|Road|Rd|Route|Row|Rue|Run|Shoal|Shore|Skyway|Spring|Spur|Square|Sq|Station|Stravenue|Stream|Street|St|Summit|Terrace|Throughway|Trace|Track|Trafficway|Trail|Tunnel|Turnpike|Underpass|Union|Valley|Via|Viaduct|View|Village|Ville|Vista|Walk|Wall|Way|Well)s?\b")]
    private static partial Regex StreetAddress();

    [GeneratedRegex(@"(?:\d\D?){7}")]
    private static partial Regex SevenDigits();
}
