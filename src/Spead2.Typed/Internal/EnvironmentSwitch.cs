namespace Spead2.Internal;

/// <summary>The process-wide switches the library reads from the environment (<c>SPEAD2_PORTABLE_SEND</c> and the like).</summary>
internal static class EnvironmentSwitch
{
    /// <summary>True when <paramref name="variable"/> is set to 1 or "true" (any case).</summary>
    public static bool IsSet(string variable)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        return value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));
    }
}
