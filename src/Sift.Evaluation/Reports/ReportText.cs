namespace Sift.Evaluation.Reports;

/// <summary>How reports shorten the passages they quote.</summary>
public static class ReportText
{
    public static string Clip(string text, int length) => text.Length <= length ? text : text[..length] + "...";
}
