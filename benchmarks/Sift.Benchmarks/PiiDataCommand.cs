using System.Text.Json;
using Bogus;
using Bogus.Extensions.Brazil;
using Bogus.Extensions.Canada;
using Bogus.Extensions.UnitedStates;

namespace Sift.Benchmarks;

/// <summary>
/// A labelled personal-data set for <c>sift eval pii</c>, generated with Bogus (seeded, so every run writes the same
/// file): emails, phone numbers and street addresses in several locales, payment cards, IBANs of many countries,
/// Brazilian CPFs, Canadian SINs, US SSNs, IP addresses and secrets, each inside a sentence; then hard negatives written
/// here: order and invoice numbers, ISBNs, version strings, dates, tracking numbers, hashes, and checksum look-alikes
/// (a card, IBAN, CPF or SIN with one digit changed, so its check fails), which must not be reported as that type.
/// </summary>
internal static class PiiDataCommand
{
    private const int PerType = 200;

    private static readonly string[] Locales = ["en", "en_GB", "de", "fr", "es", "it", "nl", "pt_BR", "en_CA", "en_AU"];

    /// <param name="seed">The set to make: the detector was developed on seed 1, and is reported on seed 2.</param>
    public static int Run(string outPath, int seed)
    {
        Randomizer.Seed = new Random(seed);
        var random = new Randomizer(seed);
        var lines = new List<object>();
        void Add(string category, string text, params (string Type, string Value)[] pii) =>
            lines.Add(new { id = $"{category}-{lines.Count}", text, pii = pii.Select(p => new { type = p.Type, value = p.Value }), category });

        for (var i = 0; i < PerType; i++)
        {
            var faker = new Faker(Locales[i % Locales.Length]);
            var name = faker.Name.FullName();
            var email = faker.Internet.Email();
            Add("email", Pick(random, $"Please write to {email} before Friday.", $"{name} <{email}> replied to the thread.", $"Contact: {email}", $"Send the signed form to {email}; {name} will countersign."), ("email", email));

            var phone = faker.Phone.PhoneNumber().Split(" x", 2)[0]; // an extension is not part of the number
            Add("phone", Pick(random, $"Call {name} on {phone} after 9am.", $"Phone: {phone}", $"If the delivery fails, the driver will ring {phone}.", $"{name} ({phone}) asked for a refund."), ("phone", phone));

            var card = Card(faker);
            Add("card", Pick(random, $"Card on file: {card}, expires 04/29.", $"Charge {card} for the renewal.", $"The customer paid with {card}."), ("card", card));

            var iban = faker.Finance.Iban(formatted: i % 2 == 0);
            Add("iban", Pick(random, $"Please transfer the deposit to IBAN {iban}.", $"Beneficiary account: {iban} ({name})", $"Refunds go to {iban}."), ("iban", iban));

            var cpf = new Faker("pt_BR").Person.Cpf();
            Add("cpf", Pick(random, $"CPF do titular: {cpf}", $"O cliente {name} informou o CPF {cpf}.", $"Cadastro {cpf} aprovado."), ("cpf", cpf));

            var sin = Sin();
            Add("sin", Pick(random, $"SIN: {sin}", $"Employee {name}, social insurance number {sin}.", $"The T4 slip lists {sin}."), ("sin", sin));

            var ssn = new Faker("en_US").Person.Ssn();
            Add("ssn", Pick(random, $"SSN {ssn} on the W-2.", $"{name}'s social security number is {ssn}.", $"Verify {ssn} against the application."), ("ssn", ssn));

            var ip = i % 2 == 0 ? faker.Internet.Ip() : faker.Internet.Ipv6();
            Add("ip", Pick(random, $"Login from {ip} was blocked.", $"The request came from {ip} at 02:14.", $"Allow-list {ip} for the VPN."), ("ip", ip));

            var secret = Secret(faker, i);
            Add("secret", Pick(random, $"export AWS_KEY={secret}", $"Use the token {secret} to authenticate.", $"I pasted my key {secret} by mistake."), ("secret", secret));

            var street = new Faker("en").Address.StreetAddress();
            Add("address", Pick(random, $"Ship it to {street}, apartment 4.", $"{name} lives at {street}.", $"Our office moved to {street} in May."), ("address", street));
        }

        // Hard negatives: numbers and codes that look like personal data and are not.
        for (var i = 0; i < PerType; i++)
        {
            var faker = new Faker("en");
            Add("negative-order", Pick(random,
                $"Order #{faker.Random.Number(10_000_000, 99_999_999)}-{faker.Random.Number(10, 99)} shipped on {faker.Date.Past():yyyy-MM-dd}.",
                $"Invoice {faker.Random.Replace("INV-####-####-####")} is due on {faker.Date.Future():dd.MM.yyyy}.",
                $"Tracking number 1Z{faker.Random.Replace("###??#########").ToUpperInvariant()} left the depot.",
                $"SKU {faker.Random.Replace("??-#####-##").ToUpperInvariant()} is back in stock ({faker.Random.Number(1, 500)} units)."));
            Add("negative-version", Pick(random,
                $"Upgrade to version {faker.System.Semver()} or build {faker.Random.Number(1, 20)}.{faker.Random.Number(0, 9)}.{faker.Random.Number(0, 9999)}.{faker.Random.Number(0, 9999)}.",
                $"ISBN {Isbn13(random)} is the second edition.",
                $"Commit {faker.Random.Hexadecimal(40, prefix: "")} fixed the regression.",
                $"The run took {faker.Random.Double(1, 500):0.000} s over {faker.Random.Number(1000, 99999)} files on {faker.Date.Past():yyyy-MM-dd HH:mm:ss}."));
            // Checksum look-alikes: a real identifier with one digit changed fails its check and is not that identifier.
            var card = Mutated(random, Card(faker), s => Sift.Guardrails.Pii.Checksums.Luhn(Digits(s)));
            var iban = Mutated(random, faker.Finance.Iban(), s => Sift.Guardrails.Pii.Checksums.Iban(s));
            var cpf = Mutated(random, new Faker("pt_BR").Person.Cpf(), s => Sift.Guardrails.Pii.Checksums.Cpf(Digits(s)));
            var sin = Mutated(random, Sin(), s => Sift.Guardrails.Pii.Checksums.Luhn(Digits(s)));
            Add("negative-checksum", Pick(random,
                $"Reference {card} was mistyped.", $"Account reference {iban} failed validation.", $"Registro {cpf} inválido.", $"Form number {sin} was rejected."));
        }

        File.WriteAllLines(outPath, lines.Select(l => JsonSerializer.Serialize(l)));
        Console.WriteLine($"wrote {lines.Count} items to {outPath} ({PerType} per type in {Locales.Length} locales, {PerType * 3} hard negatives)");
        return 0;
    }

    private static string Pick(Randomizer random, params string[] choices) => choices[random.Number(choices.Length - 1)];

    private static string Secret(Faker faker, int i) => (i % 6) switch
    {
        0 => "AKIA" + faker.Random.String2(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        1 => "ghp_" + faker.Random.AlphaNumeric(36),
        2 => "sk-" + faker.Random.String2(48, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
        3 => "xoxb-" + faker.Random.Number(100_000_000, 999_999_999) + "-" + faker.Random.AlphaNumeric(24),
        4 => "sk_live_" + faker.Random.AlphaNumeric(24),
        _ => "eyJ" + faker.Random.AlphaNumeric(20) + ".eyJ" + faker.Random.AlphaNumeric(40) + "." + faker.Random.AlphaNumeric(43),
    };

    /// <summary>A card number as Bogus makes them, but never longer than ISO/IEC 7812's 19 digits (some of its Laser and Switch formats are).</summary>
    private static string Card(Faker faker)
    {
        while (true)
        {
            var card = faker.Finance.CreditCardNumber();
            if (Digits(card).Length <= 19)
            {
                return card;
            }
        }
    }

    /// <summary>A SIN as Bogus makes them, but of a series issued to people (Bogus also begins some with 0 or 8, which none does).</summary>
    private static string Sin()
    {
        while (true)
        {
            var sin = new Faker("en_CA").Person.Sin();
            if (sin[0] is not ('0' or '8'))
            {
                return sin;
            }
        }
    }

    private static string Digits(string value) => string.Concat(value.Where(char.IsAsciiDigit));

    /// <summary>The value with one digit changed so that <paramref name="valid"/> fails.</summary>
    private static string Mutated(Randomizer random, string value, Func<string, bool> valid)
    {
        var positions = value.Select((c, i) => (c, i)).Where(x => char.IsAsciiDigit(x.c)).Select(x => x.i).ToList();
        while (true)
        {
            var chars = value.ToCharArray();
            var at = positions[random.Number(positions.Count - 1)];
            chars[at] = (char)('0' + ((chars[at] - '0' + random.Number(1, 9)) % 10));
            var mutated = new string(chars);
            if (!valid(mutated.Replace(" ", "", StringComparison.Ordinal)))
            {
                return mutated;
            }
        }
    }

    private static string Isbn13(Randomizer random)
    {
        var digits = "978" + string.Concat(Enumerable.Range(0, 9).Select(_ => random.Number(9)));
        var sum = digits.Select((c, i) => (c - '0') * (i % 2 == 0 ? 1 : 3)).Sum();
        return $"{digits[..3]}-{digits[3]}-{digits[4..8]}-{digits[8..]}-{(10 - (sum % 10)) % 10}";
    }
}
