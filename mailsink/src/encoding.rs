//! The three encodings a simple mail uses, decoded: quoted-printable bodies (RFC 2045 §6.7),
//! base64 bodies (RFC 2045 §6.8), and encoded words in headers (RFC 2047 §2–§6).
//!
//! Decoders are lenient where RFC 2045 asks a robust decoder to be (a stray `=` is kept, lower
//! case hex is read) and never fail on input a sender got wrong: only base64 that does not
//! decode at all gives `None`. Text is read as UTF-8 (US-ASCII is a subset); encoded words in
//! any other charset are left as they are.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Decodes a quoted-printable body. Line ends come out as `\n`; soft line breaks (`=` at the
/// end of a line) join lines; the spaces and tabs an encoder must not leave at a line's end
/// (rule 3) are dropped.
pub fn quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |last| last + 1);
        let line = &line[..end];
        let (line, soft_break) = match line.strip_suffix(b"=") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        decode_hex_escapes(line, &mut out, false);
        if !soft_break && lines.peek().is_some() {
            out.push(b'\n');
        }
    }
    out
}

/// Appends `input` with each `=XX` decoded; with `underscore_is_space` (the `Q` encoding of
/// RFC 2047 §4.2), `_` becomes a space.
fn decode_hex_escapes(input: &[u8], out: &mut Vec<u8>, underscore_is_space: bool) {
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'=' => {
                let escaped = input
                    .get(i + 1..i + 3)
                    .and_then(|hex| Some(hex_value(hex[0])? << 4 | hex_value(hex[1])?));
                match escaped {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'='),
                }
            }
            b'_' if underscore_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        _ => None,
    }
}

/// Decodes a base64 body, whose lines are broken at most every 76 characters.
pub fn base64(body: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD.decode(compact).ok()
}

/// Decodes the encoded words (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`) in a header value. Whitespace
/// between two encoded words is dropped (§6.2), so a long subject split into many words comes
/// back whole, even when a character was split between words.
pub fn header_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(value.len());
    // Text since the last encoded word, held back in case it is only the space between two.
    let mut pending = String::new();
    let mut after_word = false;
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        pending.push_str(before);
        match encoded_word(candidate) {
            Some((decoded, used)) => {
                let only_space = pending
                    .chars()
                    .all(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
                if !(after_word && only_space) {
                    out.extend_from_slice(pending.as_bytes());
                }
                pending.clear();
                out.extend_from_slice(&decoded);
                after_word = true;
                rest = &candidate[used..];
            }
            None => {
                pending.push_str("=?");
                rest = &candidate[2..];
            }
        }
    }
    out.extend_from_slice(pending.as_bytes());
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

/// One encoded word at the start of `text`: its decoded bytes and its length, or `None` when it
/// is not one (or its charset is not UTF-8 or US-ASCII).
fn encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let payload = &inner[..end];
    if payload.contains(|c: char| c == ' ' || c == '?' || c.is_ascii_control()) {
        return None;
    }
    // RFC 2231 §5 lets a language follow the charset: `utf-8*en`.
    let charset = charset.split('*').next().unwrap_or_default();
    if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("us-ascii") {
        return None;
    }
    let decoded = if encoding.eq_ignore_ascii_case("b") {
        STANDARD.decode(payload).ok()?
    } else if encoding.eq_ignore_ascii_case("q") {
        let mut out = Vec::with_capacity(payload.len());
        decode_hex_escapes(payload.as_bytes(), &mut out, true);
        out
    } else {
        return None;
    };
    // `inner` is the tail of `text` after the second `?`; the word ends past its `?=`.
    let used = text.len() - inner.len() + end + 2;
    Some((decoded, used))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qp(text: &str) -> String {
        String::from_utf8(quoted_printable(text.as_bytes())).expect("UTF-8")
    }

    #[test]
    fn quoted_printable_decodes_escapes_soft_breaks_and_line_ends() {
        assert_eq!(qp("caf=C3=A9 au lait\r\n"), "café au lait\n");
        assert_eq!(
            qp("https://example.test/reset-password?token=3Dab=\r\ncd\r\nbye"),
            "https://example.test/reset-password?token=abcd\nbye"
        );
        assert_eq!(qp("a long=\r\n line"), "a long line");
        assert_eq!(qp("lower =c3=a9"), "lower é");
    }

    #[test]
    fn quoted_printable_drops_trailing_space_and_keeps_a_stray_equals_sign() {
        assert_eq!(qp("padded   \r\nnext\t\r\n"), "padded\nnext\n");
        assert_eq!(qp("2+2=4 =Z"), "2+2=4 =Z");
        assert_eq!(
            qp("space before soft break =\r\nend"),
            "space before soft break end"
        );
    }

    #[test]
    fn base64_body_ignores_line_breaks_and_refuses_garbage() {
        let body = b"SGVsbG8s\r\nIHdvcmxk\r\nIQ==\r\n";
        assert_eq!(base64(body).as_deref(), Some(&b"Hello, world!"[..]));
        assert_eq!(base64(b"not*base64"), None);
    }

    #[test]
    fn header_words_decode_b_and_q_and_join_adjacent_words() {
        assert_eq!(header_words("=?utf-8?B?Q2Fmw6k=?="), "Café");
        assert_eq!(
            header_words("=?UTF-8?Q?Caf=C3=A9_au_lait?="),
            "Café au lait"
        );
        assert_eq!(
            header_words("Re: =?utf-8?q?caf=C3=A9?= now"),
            "Re: café now"
        );
        // "é" split across two words, with folding whitespace between them.
        assert_eq!(
            header_words("=?utf-8?Q?caf=C3?=\r\n =?utf-8?Q?=A9?="),
            "café"
        );
        assert_eq!(header_words("=?utf-8?B?YQ==?= =?utf-8?B?Yg==?="), "ab");
    }

    #[test]
    fn header_words_leave_plain_text_and_unknown_charsets_alone() {
        assert_eq!(header_words("Plain subject"), "Plain subject");
        assert_eq!(header_words("a =? b"), "a =? b");
        assert_eq!(
            header_words("=?iso-8859-1?Q?caf=E9?= x"),
            "=?iso-8859-1?Q?caf=E9?= x"
        );
        assert_eq!(header_words("=?utf-8*en?Q?hi?= there"), "hi there");
    }
}
