using Sift.Core.Stages;
using Sift.Guardrails.Pii;

namespace Sift.Tests.Guardrails;

/// <summary>The check digits worked by hand, and the detector on identifiers, look-alikes and redaction.</summary>
public sealed class PiiDetectorTests
{
    private static readonly RulePiiDetector Detector = new();

    [Fact]
    public void LuhnDoublesEverySecondDigitFromTheRight()
    {
        // 79927398713: from the right 3, 1*2=2, 7, 8*2=16->7, 9, 3*2=6, 7, 2*2=4, 9, 9*2=18->9, 7: sum 70, 70 % 10 = 0.
        Assert.True(Checksums.Luhn("79927398713"));
        Assert.False(Checksums.Luhn("79927398710"));
        Assert.True(Checksums.Luhn("4111111111111111"));
        Assert.True(Checksums.Luhn("046454286")); // the Canadian government's sample SIN (a series never issued: 0)
    }

    [Fact]
    public void IbanMovesTheFirstFourCharactersToTheEndAndTakesMod97()
    {
        // GB82WEST12345698765432 -> WEST12345698765432GB82 -> 3214282912345698765432161182, which is 1 mod 97.
        Assert.True(Checksums.Iban("GB82WEST12345698765432"));
        Assert.False(Checksums.Iban("GB83WEST12345698765432"));
        Assert.Equal(22, Checksums.IbanLength("GB"));
        Assert.Null(Checksums.IbanLength("XX"));
    }

    [Fact]
    public void CpfHasTwoMod11CheckDigits()
    {
        // 529982247: 5*10+2*9+9*8+9*7+8*6+2*5+2*4+4*3+7*2 = 295; 2950 % 11 = 2. Then with the 2, weights 11..2: 347;
        // 3470 % 11 = 5. So 529.982.247-25.
        Assert.True(Checksums.Cpf("52998224725"));
        Assert.False(Checksums.Cpf("52998224726"));
        Assert.False(Checksums.Cpf("11111111111")); // passes the arithmetic, never issued
    }

    [Theory]
    [InlineData("Write to jane.doe@example.co.uk today.", "email", "jane.doe@example.co.uk")]
    [InlineData("Card 4111 1111 1111 1111 is on file.", "card", "4111 1111 1111 1111")]
    [InlineData("Pay into GB82 WEST 1234 5698 7654 32 please.", "iban", "GB82 WEST 1234 5698 7654 32")]
    [InlineData("CPF 529.982.247-25.", "cpf", "529.982.247-25")]
    [InlineData("SIN 130 692 544 on the form.", "sin", "130 692 544")]
    [InlineData("SSN 123-45-6789 on the W-2.", "ssn", "123-45-6789")]
    [InlineData("NI number AB 12 34 56 C.", "nino", "AB 12 34 56 C")]
    [InlineData("Call +44 20 7946 0958 now.", "phone", "+44 20 7946 0958")]
    [InlineData("Login from 203.0.113.77 blocked.", "ip", "203.0.113.77")]
    [InlineData("Login from 2001:db8::8a2e:370:7334 blocked.", "ip", "2001:db8::8a2e:370:7334")]
    [InlineData("key AKIAIOSFODNN7EXAMPLE leaked", "secret", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData("api_key = \"q8Zr2LmX9vT4pW7kN3bY6cJ1\"", "secret", "q8Zr2LmX9vT4pW7kN3bY6cJ1")]
    [InlineData("Ship to 742 Evergreen Terrace, Springfield.", "address", "742 Evergreen Terrace")]
    [InlineData("Card 4111.1111.1111.1111 is on file.", "card", "4111.1111.1111.1111")]
    [InlineData("Pay into gb82 west 1234 5698 7654 32 please.", "iban", "gb82 west 1234 5698 7654 32")]
    [InlineData("Pay into GB82-WEST-1234-5698-7654-32 please.", "iban", "GB82-WEST-1234-5698-7654-32")]
    [InlineData("The server is at 10.0.0.12.", "ip", "10.0.0.12")]
    [InlineData("Key:\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END ENCRYPTED PRIVATE KEY-----\nEnd.", "secret",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIB\n-----END ENCRYPTED PRIVATE KEY-----")]
    public void FindsEachType(string text, string type, string value)
    {
        var match = Assert.Single(Detector.Find(text));
        Assert.Equal((type, value), (match.Type, match.ValueIn(text)));
    }

    [Theory]
    [InlineData("Card 4111 1111 1111 1112 is on file.")] // fails Luhn
    [InlineData("Pay into GB83 WEST 1234 5698 7654 32 please.")] // fails mod 97
    [InlineData("CPF 529.982.247-26.")]
    [InlineData("SIN 130 692 545 on the form.")]
    [InlineData("ISBN 978-0-306-40615-7, second edition.")]
    [InlineData("Upgrade to version 10.0.19045.3803 tonight.")]
    [InlineData("Version 5.4.3.2 released.")]
    [InlineData("The build of 2024-03-15 at 12:30:45 passed.")]
    [InlineData("password = aaaaaaaaaaaaaaaaaaaa")] // long, but no entropy
    [InlineData("SKU AB-02666-15 is back in stock.")]
    [InlineData("SIN 046 454 286 on the form.")] // passes Luhn, but no SIN begins with 0
    [InlineData("The MAC is 00:1A:2B:3C:4D:5E.")]
    [InlineData("The slides are at http://example.org/vs/5309904231178427.")] // passes Luhn, but an id in a link
    [InlineData("Oral PD 0332991 and SR141716A were given; the odds ratio was 0.408730.")] // drug codes, a decimal
    [InlineData("In 2012 International Union guidelines changed.")] // a year, not a house number
    public void PassesLookAlikes(string text) => Assert.Empty(Detector.Find(text));

    [Fact]
    public void RedactionReplacesEachMatchWithItsType()
    {
        const string text = "Mail jane@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111.";
        Assert.Equal("Mail [EMAIL] or call [PHONE]; card [CARD].", PiiRedaction.Redact(text, Detector.Find(text)));
    }
}
