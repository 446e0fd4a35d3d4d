using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Spead2.Typed.Analyzers;
using Spead2.Typed.CodeFixes;
using Spead2.Typed.Generators.Tests.Infrastructure;

namespace Spead2.Typed.Generators.Tests.Analyzers;

/// <summary>The SPEAD0001 fix adds <c>partial</c> where it is missing, and the diagnostic then disappears.</summary>
public class MakePartialCodeFixTests
{
    [Fact]
    public Task AddsPartialToTheRecord() => VerifyFixAsync(
        """
        using Spead2.Typed;

        namespace N;

        /// <summary>Doc.</summary>
        public sealed record {|SPEAD0001:Dump|}([SpeadItem(0x1000)] int A);
        """,
        """
        using Spead2.Typed;

        namespace N;

        /// <summary>Doc.</summary>
        public sealed partial record Dump([SpeadItem(0x1000)] int A);
        """);

    [Fact]
    public Task AddsPartialToContainingTypesAndTypesWithoutModifiers() => VerifyFixAsync(
        """
        using Spead2.Typed;

        class Outer
        {
            partial class Middle
            {
                record struct {|SPEAD0001:Dump|}([SpeadItem(0x1000)] int A);
            }
        }
        """,
        """
        using Spead2.Typed;

        partial class Outer
        {
            partial class Middle
            {
                partial record struct Dump([SpeadItem(0x1000)] int A);
            }
        }
        """);

    /// <summary>
    /// The library checks that the marked diagnostic is reported on <paramref name="before"/>, that the one fix
    /// produces <paramref name="after"/>, and that the fixed source reports nothing.
    /// </summary>
    private static Task VerifyFixAsync(string before, string after)
    {
        var test = new CSharpCodeFixTest<PartialTypeAnalyzer, MakePartialCodeFix, DefaultVerifier> { TestCode = before, FixedCode = after };
        AnalyzerVerifier.Configure(test);
        return test.RunAsync();
    }
}
