//! Reading an accepted message (RFC 5322 with MIME, RFC 2045/2046): its header fields, and the
//! plain-text body a person would read.
//!
//! The text body is found in a `text/plain` message (also one without `Content-Type`, which
//! RFC 2045 §5.2 makes `text/plain`), or in the first inline `text/plain` part of a multipart
//! message (`multipart/alternative`, and nested inside `multipart/mixed` or `related`, at most
//! a few levels deep). It is decoded from its transfer encoding, read as UTF-8 and its line ends
//! are given as `\n`. Anything else (HTML only, attachments only, broken base64) has no text.

use serde::Serialize;

use crate::encoding;

/// How deep multiparts nest before the search for text gives up.
const MAX_DEPTH: usize = 4;

/// One header field, unfolded (RFC 5322 §2.2.3), its value as sent.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// What the sink read from a message.
#[derive(Debug, Clone, Serialize)]
pub struct Parsed {
    /// `Subject`, `From` and `To` with their encoded words decoded; `None` when absent.
    pub subject: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The top-level media type, lower case (`text/plain`, `multipart/alternative`).
    pub content_type: String,
    /// The plain-text body, decoded; `None` when the message has none.
    pub text: Option<String>,
    pub headers: Vec<Header>,
}

/// Reads a message (the data of a `DATA` command, dot-unstuffed).
pub fn parse(raw: &[u8]) -> Parsed {
    let (headers, body) = split_entity(raw);
    let decoded = |name: &str| find(&headers, name).map(|v| encoding::header_words(v.trim()));
    let (content_type, _) = content_type(&headers);
    Parsed {
        subject: decoded("subject"),
        from: decoded("from"),
        to: decoded("to"),
        content_type,
        text: text_of(&headers, body, 0).map(|bytes| lines_to_lf(&bytes)),
        headers,
    }
}

/// Splits an entity (a message or a body part) into its unfolded header fields and its body,
/// at the first empty line. Without an empty line it is all header.
fn split_entity(raw: &[u8]) -> (Vec<Header>, &[u8]) {
    let mut headers: Vec<Header> = Vec::new();
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        pos = end;
        let content = trim_line_end(line);
        if content.is_empty() {
            return (headers, &raw[pos..]);
        }
        let text = String::from_utf8_lossy(content);
        if content[0] == b' ' || content[0] == b'\t' {
            // A folded line continues the field above: unfolding removes only the line break.
            if let Some(last) = headers.last_mut() {
                last.value.push_str(&text);
            }
        } else if let Some((name, value)) = text.split_once(':') {
            headers.push(Header {
                name: name.trim().to_owned(),
                value: value.strip_prefix(' ').unwrap_or(value).to_owned(),
            });
        }
    }
    (headers, &raw[raw.len()..])
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn find<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The media type (lower case, `text/plain` by default) and its parameters (names lower case,
/// quoted values unquoted), as RFC 2045 §5.1 writes them.
fn content_type(headers: &[Header]) -> (String, Vec<(String, String)>) {
    let Some(value) = find(headers, "content-type") else {
        return ("text/plain".to_owned(), Vec::new());
    };
    let mut fields = split_parameters(value).into_iter();
    let media = fields
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let params = fields
        .filter_map(|field| {
            let (name, value) = field.split_once('=')?;
            Some((name.trim().to_ascii_lowercase(), unquote(value.trim())))
        })
        .collect();
    (media, params)
}

/// Splits at `;` outside quoted strings.
fn split_parameters(value: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                fields.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(field) = fields.last_mut() {
            field.push(c);
        }
    }
    fields
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            other => out.push(other),
        }
    }
    out
}

/// The decoded plain text of an entity, searching multipart bodies.
fn text_of(headers: &[Header], body: &[u8], depth: usize) -> Option<Vec<u8>> {
    let (media, params) = content_type(headers);
    let attachment = find(headers, "content-disposition")
        .is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("attachment"));
    if media == "text/plain" && !attachment {
        return decode_body(headers, body);
    }
    if !media.starts_with("multipart/") || depth >= MAX_DEPTH {
        return None;
    }
    let (_, boundary) = params.into_iter().find(|(name, _)| name == "boundary")?;
    parts(body, &boundary).into_iter().find_map(|part| {
        let (headers, body) = split_entity(part);
        text_of(&headers, body, depth + 1)
    })
}

fn decode_body(headers: &[Header], body: &[u8]) -> Option<Vec<u8>> {
    let encoding = find(headers, "content-transfer-encoding")
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match encoding.as_str() {
        "quoted-printable" => Some(encoding::quoted_printable(body)),
        "base64" => encoding::base64(body),
        // 7bit, 8bit, binary, or none given (7bit, RFC 2045 §6.1).
        _ => Some(body.to_vec()),
    }
}

/// The body parts of a multipart body (RFC 2046 §5.1.1): what lies between delimiter lines
/// `--boundary`, up to the close delimiter `--boundary--`. The line break before a delimiter
/// belongs to the delimiter, not to the part.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| pos + i + 1);
        let line = trim_line_end(&body[pos..end]);
        // Transport padding (spaces, tabs) may follow a delimiter.
        let line_end = line
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |last| last + 1);
        let line = &line[..line_end];
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes()) {
            let close = rest == b"--";
            if close || rest.is_empty() {
                if let Some(part_start) = start {
                    // Up to the line break that ends the part's last line.
                    let part_end = pos.saturating_sub(1);
                    let part_end = if part_end > part_start && body[part_end - 1] == b'\r' {
                        part_end - 1
                    } else {
                        part_end
                    };
                    parts.push(&body[part_start..part_end.max(part_start)]);
                }
                if close {
                    return parts;
                }
                start = Some(end);
            }
        }
        pos = end;
    }
    parts
}

fn lines_to_lf(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_message_gives_its_headers_and_body() {
        let raw = b"From: CopyTrade <mail@copytrade.test>\r\nTo: alice@example.test\r\n\
            Subject: Verify your email\r\n\r\nHello Alice,\r\nclick the link.\r\n";
        let parsed = parse(raw);
        assert_eq!(
            parsed.from.as_deref(),
            Some("CopyTrade <mail@copytrade.test>")
        );
        assert_eq!(parsed.to.as_deref(), Some("alice@example.test"));
        assert_eq!(parsed.subject.as_deref(), Some("Verify your email"));
        assert_eq!(parsed.content_type, "text/plain");
        assert_eq!(
            parsed.text.as_deref(),
            Some("Hello Alice,\nclick the link.\n")
        );
    }

    #[test]
    fn folded_and_encoded_headers_are_unfolded_and_decoded() {
        let raw = b"Subject: =?utf-8?b?Q2Fmw6k=?=\r\n =?utf-8?q?_ouvert?=\r\nTo: a@x.test,\r\n\tb@x.test\r\n\r\n";
        let parsed = parse(raw);
        assert_eq!(parsed.subject.as_deref(), Some("Café ouvert"));
        assert_eq!(parsed.to.as_deref(), Some("a@x.test,\tb@x.test"));
        assert_eq!(parsed.text.as_deref(), Some(""));
    }

    #[test]
    fn a_quoted_printable_text_body_is_decoded() {
        let raw = b"Content-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: quoted-printable\r\n\r\n\
            Reset: https://copytrade.test/reset-password?token=3DAbC=\r\nDeF\r\n";
        assert_eq!(
            parse(raw).text.as_deref(),
            Some("Reset: https://copytrade.test/reset-password?token=AbCDeF\n")
        );
    }

    #[test]
    fn the_text_part_of_a_multipart_alternative_is_found_and_decoded() {
        let raw = b"Content-Type: multipart/alternative; boundary=\"b1;x\"\r\n\r\n\
            preamble\r\n--b1;x\r\nContent-Type: text/html\r\n\r\n<p>Hi</p>\r\n\
            --b1;x\r\nContent-Type: text/plain; charset=utf-8\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nSMOpIHRoZXJl\r\n--b1;x--\r\nepilogue\r\n";
        let parsed = parse(raw);
        assert_eq!(parsed.content_type, "multipart/alternative");
        assert_eq!(parsed.text.as_deref(), Some("Hé there"));
    }

    #[test]
    fn text_is_searched_inside_mixed_but_not_in_attachments() {
        let raw = b"Content-Type: multipart/mixed; boundary=outer\r\n\r\n\
            --outer\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nfile\r\n\
            --outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n\
            --inner\r\nContent-Type: text/plain\r\n\r\nline one\r\n\r\n--inner--\r\n\
            --outer--\r\n";
        assert_eq!(parse(raw).text.as_deref(), Some("line one\n"));
    }

    #[test]
    fn html_only_and_broken_base64_have_no_text() {
        let html = b"Content-Type: text/html\r\n\r\n<p>Hi</p>\r\n";
        assert_eq!(parse(html).text, None);
        let broken = b"Content-Transfer-Encoding: base64\r\n\r\n!!!\r\n";
        assert_eq!(parse(broken).text, None);
    }
}
