using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Spead2.Typed.Analyzers;

namespace Spead2.Typed.CodeFixes;

/// <summary>Fixes SPEAD0001 by adding <c>partial</c> to the record and to every containing type that lacks it.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix))]
[Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    private const string Title = "Make the type partial";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.TypeNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            var declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (declaration is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => AddPartialAsync(context.Document, root, declaration, ct), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static Task<Document> AddPartialAsync(Document document, SyntaxNode root, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var chain = declaration.AncestorsAndSelf();
        var newRoot = root.ReplaceNodes(
            chain,
            static (original, rewritten) => rewritten is TypeDeclarationSyntax type && !type.Modifiers.Any(SyntaxKind.PartialKeyword)
                ? AddPartial(type)
                : rewritten);
        return Task.FromResult(document.WithSyntaxRoot(newRoot));
    }

    /// <summary>Appends <c>partial</c> after the other modifiers (its required place), keeping trivia.</summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax type)
    {
        var partial = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (type.Modifiers.Count == 0)
        {
            // Move the keyword's leading trivia (indentation, comments) in front of 'partial'.
            var keyword = type.Keyword;
            partial = partial.WithLeadingTrivia(keyword.LeadingTrivia);
            return type.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
        }

        return type.WithModifiers(type.Modifiers.Add(partial));
    }
}
