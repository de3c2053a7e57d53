namespace Sift.Guardrails.Pii;

/// <summary>The check digits that tell an identifier from a number that looks like one.</summary>
public static class Checksums
{
    /// <summary>Luhn (mod 10): payment cards, Canadian SINs. Doubles every second digit from the right.</summary>
    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var digit = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
        }

        return digits.Length > 1 && sum % 10 == 0;
    }

    /// <summary>ISO 13616 IBAN check (ISO 7064 mod 97-10): the country and check digits moved to the end, letters as 10..35, remainder 1.</summary>
    public static bool Iban(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 5)
        {
            return false;
        }

        var remainder = 0;
        for (var i = 0; i < iban.Length; i++)
        {
            var c = iban[(i + 4) % iban.Length];
            var value = c is >= '0' and <= '9' ? c - '0' : c is >= 'A' and <= 'Z' ? c - 'A' + 10 : -1;
            if (value < 0)
            {
                return false;
            }

            remainder = value >= 10 ? ((remainder * 100) + value) % 97 : ((remainder * 10) + value) % 97;
        }

        return remainder == 1;
    }

    /// <summary>Brazil's CPF: two mod-11 check digits over the nine before them (weights 10..2, then 11..2).</summary>
    public static bool Cpf(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 11 || digits.IndexOfAnyExcept(digits[0]) < 0)
        {
            return false; // eleven equal digits pass the arithmetic but are not issued
        }

        return CpfDigit(digits[..9], 10) == digits[9] - '0' && CpfDigit(digits[..10], 11) == digits[10] - '0';

        static int CpfDigit(ReadOnlySpan<char> body, int firstWeight)
        {
            var sum = 0;
            for (var i = 0; i < body.Length; i++)
            {
                sum += (body[i] - '0') * (firstWeight - i);
            }

            var remainder = sum * 10 % 11;
            return remainder == 10 ? 0 : remainder;
        }
    }

    /// <summary>IBAN lengths by country (ISO 13616 registry), so a well-formed string of the wrong length is not one.</summary>
    public static int? IbanLength(ReadOnlySpan<char> country) => country switch
    {
        "AD" => 24, "AE" => 23, "AL" => 28, "AT" => 20, "AZ" => 28, "BA" => 20, "BE" => 16, "BG" => 22, "BH" => 22, "BR" => 29,
        "BY" => 28, "CH" => 21, "CR" => 22, "CY" => 28, "CZ" => 24, "DE" => 22, "DK" => 18, "DO" => 28, "EE" => 20, "EG" => 29,
        "ES" => 24, "FI" => 18, "FO" => 18, "FR" => 27, "GB" => 22, "GE" => 22, "GI" => 23, "GL" => 18, "GR" => 27, "GT" => 28,
        "HR" => 21, "HU" => 28, "IE" => 22, "IL" => 23, "IQ" => 23, "IS" => 26, "IT" => 27, "JO" => 30, "KW" => 30, "KZ" => 20,
        "LB" => 28, "LC" => 32, "LI" => 21, "LT" => 20, "LU" => 20, "LV" => 21, "MC" => 27, "MD" => 24, "ME" => 22, "MK" => 19,
        "MR" => 27, "MT" => 31, "MU" => 30, "NL" => 18, "NO" => 15, "PK" => 24, "PL" => 28, "PS" => 29, "PT" => 25, "QA" => 29,
        "RO" => 24, "RS" => 22, "SA" => 24, "SC" => 31, "SE" => 24, "SI" => 19, "SK" => 24, "SM" => 27, "ST" => 25, "SV" => 28,
        "TL" => 23, "TN" => 24, "TR" => 26, "UA" => 29, "VA" => 22, "VG" => 24, "XK" => 20,
        _ => null,
    };
}
