//! Positions and file names: LSP `Position`s (UTF-16) against byte offsets, and file
//! paths against `file://` URIs.
//!
//! Takes: a document's text, LSP positions, URIs and paths.
//! Gives: a [`LineIndex`] converting both ways, and [`path_to_uri`] / [`uri_to_path`].
//! Invariant: offsets given back always lie on a `char` boundary of the text and inside
//! it (a position past the end of a line or of the text is clamped).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};

/// The byte offsets of the line starts of one text.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The position of a byte offset (clamped into the text).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let col: usize = text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(char::len_utf16)
            .sum();
        Position::new(line as u32, col as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }

    /// The byte offset of a position (clamped to the end of its line and of the text).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(start) = self.starts.get(pos.line as usize).copied() else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map(|e| e - 1)
            .unwrap_or(text.len());
        let line = text.get(start..end).unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            if units >= pos.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }
}

/// The `file://` URI of an absolute path (bytes outside `A-Za-z0-9-._~/` escaped).
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let s = path.to_str()?;
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

/// The path of a `file://` URI (percent escapes decoded), `None` for other schemes.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = rest
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_utf16() {
        let text = "ab\né€😀x\n\nlast";
        let idx = LineIndex::new(text);
        let x = text.find('x').expect("x");
        let p = idx.position(text, x);
        assert_eq!(p, Position::new(1, 4));
        assert_eq!(idx.offset(text, p), x);
        assert_eq!(
            idx.offset(text, Position::new(1, 99)),
            text.find("\n\n").expect("blank line")
        );
        assert_eq!(idx.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(idx.position(text, text.len()), Position::new(3, 4));
    }

    #[test]
    fn uris() {
        let p = Path::new("/tmp/a b/é.prop");
        let u = path_to_uri(p).expect("uri");
        assert_eq!(u.as_str(), "file:///tmp/a%20b/%C3%A9.prop");
        assert_eq!(uri_to_path(&u).expect("path"), p);
    }
}
