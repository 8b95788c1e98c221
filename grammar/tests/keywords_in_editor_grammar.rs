//! Every keyword and type name of the lexer is listed in the VS Code TextMate grammar
//! (`editors/vscode/syntaxes/prop.tmLanguage.json`), so a new keyword cannot be added
//! without its highlighting. `editors/vscode/test/keywords.mjs` checks the same (and
//! more: operators, builtins, the actual scopes) with the grammar engine itself.

use propc_syntax::lexer::lex;

/// The `"word"` of every `#[token("word")]` in the lexer's source that is a word.
fn lexer_words() -> Vec<&'static str> {
    let src = include_str!("../src/lexer.rs");
    let mut words = Vec::new();
    for piece in src.split("#[token(\"").skip(1) {
        let Some(end) = piece.find('"') else { continue };
        let text = &piece[..end];
        let is_word = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_word {
            words.push(text);
        }
    }
    words
}

#[test]
fn every_keyword_is_in_the_textmate_grammar() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../editors/vscode/syntaxes/prop.tmLanguage.json"
    );
    let Ok(grammar) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is absent");
        return;
    };
    let words = lexer_words();
    assert!(
        words.len() >= 27,
        "only {} keyword tokens parsed from lexer.rs: {words:?}",
        words.len()
    );
    let mut missing = Vec::new();
    for word in words {
        // The parse above found a real keyword: it lexes to one keyword or type token.
        let (tokens, errors) = lex(word);
        assert!(errors.is_empty(), "`{word}` does not lex");
        let [(_, token, _)] = tokens.as_slice() else {
            panic!("`{word}` is not one token")
        };
        assert!(
            token.is_keyword() || token.is_type_name(),
            "`{word}` lexes to {token:?}, not a keyword"
        );
        // Listed in one of the grammar's `\\b(a|b|c)\\b` alternations.
        let listed = [("(", "|"), ("|", "|"), ("|", ")"), ("(", ")")]
            .iter()
            .any(|(l, r)| grammar.contains(&format!("{l}{word}{r}")));
        if !listed {
            missing.push(word);
        }
    }
    assert!(
        missing.is_empty(),
        "keywords missing from {path}: {missing:?} (add them to the `keywords` or `types` rules)"
    );
}
