//! Where each value of a RON file starts, by path (`smtp[1].port`), so that
//! a check on the parsed data can name the line and column to change.
//!
//! This is a small tolerant reader of the RON subset provider files use;
//! it only runs when a check has something to report.

use std::collections::HashMap;

/// How deep the reader follows nested values: as deep as RON itself reads
/// (its default recursion limit). Deeper groups, which only text RON does
/// not read as values can hold (a raw string, a nested comment: this reader
/// knows neither), are skipped, not followed: following them recursed once
/// per bracket, and a 100 KB file overflowed the stack.
const MAX_DEPTH: usize = 128;

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// Positions of the values and field names of one RON document.
#[derive(Debug, Default)]
pub struct Locations {
    values: HashMap<String, Position>,
}

impl Locations {
    /// Reads the positions of every value in `text`.
    #[must_use]
    pub fn of(text: &str) -> Self {
        let mut reader = Reader {
            tokens: tokenize(text),
            at: 0,
            depth: 0,
            out: Locations::default(),
        };
        reader.value("");
        reader.out
    }

    /// Where the value at `path` starts, or, failing that, its closest
    /// enclosing value; line 1, column 1 when nothing matches.
    #[must_use]
    pub fn find(&self, path: &str) -> Position {
        let mut path = path;
        loop {
            if let Some(p) = self.values.get(path) {
                return *p;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => {
                    return self
                        .values
                        .get("")
                        .copied()
                        .unwrap_or(Position { line: 1, column: 1 });
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str,
    Number,
    Punct(char),
}

fn tokenize(text: &str) -> Vec<(Tok, Position)> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let (mut line, mut column) = (1usize, 1usize);
    let advance = |c: char, line: &mut usize, column: &mut usize| {
        if c == '\n' {
            *line += 1;
            *column = 1;
        } else {
            *column += 1;
        }
    };
    while let Some(&c) = chars.peek() {
        let here = Position { line, column };
        if c.is_whitespace() {
            chars.next();
            advance(c, &mut line, &mut column);
        } else if c == '/' {
            chars.next();
            advance(c, &mut line, &mut column);
            match chars.peek() {
                Some('/') => {
                    while let Some(&c) = chars.peek() {
                        if c == '\n' {
                            break;
                        }
                        chars.next();
                        advance(c, &mut line, &mut column);
                    }
                }
                Some('*') => {
                    let mut prev = ' ';
                    for c in chars.by_ref() {
                        advance(c, &mut line, &mut column);
                        if prev == '*' && c == '/' {
                            break;
                        }
                        prev = c;
                    }
                }
                _ => {}
            }
        } else if c == '"' {
            chars.next();
            advance(c, &mut line, &mut column);
            let mut escaped = false;
            for c in chars.by_ref() {
                advance(c, &mut line, &mut column);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    break;
                }
            }
            tokens.push((Tok::Str, here));
        } else if c.is_alphanumeric() || c == '_' || c == '-' || c == '+' || c == '#' {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || matches!(c, '_' | '-' | '+' | '.' | '#') {
                    word.push(c);
                    chars.next();
                    advance(c, &mut line, &mut column);
                } else {
                    break;
                }
            }
            let first = word.chars().next().unwrap_or('0');
            if first.is_ascii_digit() || first == '-' || first == '+' {
                tokens.push((Tok::Number, here));
            } else {
                tokens.push((Tok::Ident(word), here));
            }
        } else {
            chars.next();
            advance(c, &mut line, &mut column);
            tokens.push((Tok::Punct(c), here));
        }
    }
    tokens
}

struct Reader {
    tokens: Vec<(Tok, Position)>,
    at: usize,
    /// Values being read, one inside the other.
    depth: usize,
    out: Locations,
}

impl Reader {
    fn peek(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.at + ahead).map(|(t, _)| t)
    }

    fn value(&mut self, path: &str) {
        let Some((tok, pos)) = self.tokens.get(self.at).cloned() else {
            return;
        };
        self.out.values.entry(path.to_string()).or_insert(pos);
        self.at += 1;
        if self.depth == MAX_DEPTH {
            self.skip_group(&tok);
            return;
        }
        self.depth += 1;
        match tok {
            Tok::Ident(_) if self.peek(0) == Some(&Tok::Punct('(')) => {
                self.at += 1;
                self.fields_or_items(path, ')');
            }
            Tok::Punct('[') => self.items(path, ']'),
            Tok::Punct('(') => self.fields_or_items(path, ')'),
            Tok::Punct('{') => self.map(path),
            _ => {}
        }
        self.depth -= 1;
    }

    /// Steps over the group `tok` opens (`Name(`, `(`, `[`, `{`) to its
    /// closing bracket, without recursion or recording.
    fn skip_group(&mut self, tok: &Tok) {
        let mut open = match tok {
            Tok::Ident(_) if self.peek(0) == Some(&Tok::Punct('(')) => {
                self.at += 1;
                1
            }
            Tok::Punct('(' | '[' | '{') => 1,
            _ => 0,
        };
        while open > 0 {
            match self.peek(0) {
                None => return,
                Some(Tok::Punct('(' | '[' | '{')) => open += 1,
                Some(Tok::Punct(')' | ']' | '}')) => open -= 1,
                Some(_) => {}
            }
            self.at += 1;
        }
    }

    fn fields_or_items(&mut self, path: &str, close: char) {
        let named =
            matches!(self.peek(0), Some(Tok::Ident(_))) && self.peek(1) == Some(&Tok::Punct(':'));
        if named {
            self.fields(path, close);
        } else {
            self.items(path, close);
        }
    }

    fn fields(&mut self, path: &str, close: char) {
        loop {
            match self.tokens.get(self.at).cloned() {
                None => return,
                Some((Tok::Punct(c), _)) if c == close => {
                    self.at += 1;
                    return;
                }
                Some((Tok::Ident(name), _)) if self.peek(1) == Some(&Tok::Punct(':')) => {
                    self.at += 2;
                    let child = if path.is_empty() {
                        name
                    } else {
                        format!("{path}.{name}")
                    };
                    self.value(&child);
                }
                // Commas, and anything this reader does not understand.
                Some(_) => self.at += 1,
            }
        }
    }

    fn items(&mut self, path: &str, close: char) {
        let mut index = 0;
        loop {
            match self.tokens.get(self.at) {
                None => return,
                Some((Tok::Punct(c), _)) if *c == close => {
                    self.at += 1;
                    return;
                }
                Some((Tok::Punct(','), _)) => self.at += 1,
                Some(_) => {
                    self.value(&format!("{path}[{index}]"));
                    index += 1;
                }
            }
        }
    }

    fn map(&mut self, path: &str) {
        let mut index = 0;
        loop {
            match self.tokens.get(self.at) {
                None => return,
                Some((Tok::Punct('}'), _)) => {
                    self.at += 1;
                    return;
                }
                Some((Tok::Punct(',' | ':'), _)) => self.at += 1,
                Some(_) => {
                    self.value(&format!("{path}[{index}]"));
                    index += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = "// header\nProvider(\n    id: \"x\", // comment\n    smtp: [\n        Server(host: \"a\", port: 465),\n        Server(host: \"b\", port: 587),\n    ],\n    hint: Hint(en: \"é\", fr: \"f\"),\n)\n";
        let loc = Locations::of(text);
        assert_eq!(loc.find("id"), Position { line: 3, column: 9 });
        assert_eq!(
            loc.find("smtp[1].port"),
            Position {
                line: 6,
                column: 33
            }
        );
        assert_eq!(loc.find("smtp[1]"), Position { line: 6, column: 9 });
        assert_eq!(
            loc.find("hint.fr"),
            Position {
                line: 8,
                column: 29
            }
        );
        // Unknown paths fall back to their closest parent.
        assert_eq!(
            loc.find("smtp[7].host"),
            Position {
                line: 4,
                column: 11
            }
        );
        assert_eq!(loc.find("nothing"), Position { line: 2, column: 1 });
    }

    /// Found by review for the `provider_file` fuzz target (its inputs stay
    /// under 4 KB, too short to overflow libFuzzer's main-thread stack):
    /// every bracket in a value position recursed, so 100,000 of them,
    /// which RON reads as one raw string, overflowed the stack.
    #[test]
    fn deep_nesting_is_skipped_not_recursed() {
        let deep = 100_000;
        let text = format!(
            "Provider(\n    a: {}{},\n    b: [1, 2],\n)\n",
            "[".repeat(deep),
            "]".repeat(deep)
        );
        let loc = Locations::of(&text);
        assert_eq!(loc.find("a"), Position { line: 2, column: 8 });
        // Past the skipped group, the reader is in step again.
        assert_eq!(
            loc.find("b[1]"),
            Position {
                line: 3,
                column: 12
            }
        );
        // Unclosed, it ends the document.
        let unclosed = format!("Provider(a: {}", "(".repeat(deep));
        assert_eq!(
            Locations::of(&unclosed).find("a"),
            Position {
                line: 1,
                column: 13
            }
        );
        // Within the bound, every level is followed.
        let nested = format!("{}x{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let path = "[0]".repeat(MAX_DEPTH);
        assert_eq!(
            Locations::of(&nested).find(&path),
            Position {
                line: 1,
                column: 129
            }
        );
    }
}
