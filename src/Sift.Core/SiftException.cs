namespace Sift.Core;

/// <summary>
/// An error the user can act on (bad input, unknown collection, missing file). Front ends print its message as one
/// line and exit non-zero; anything else is a bug.
/// </summary>
public class SiftException : Exception
{
    public SiftException(string message) : base(message)
    {
    }

    public SiftException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public SiftException()
    {
    }
}
