//! Reading SMTP's lines with a bound on memory: a line longer than the limit is read to its end
//! and thrown away, and the caller is told it was too long, so a client that never sends a line
//! break cannot grow the server.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// What one read gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line is in the buffer, with its line end. `crlf` tells whether it ended with
    /// CRLF rather than a bare LF.
    Complete { crlf: bool },
    /// The line was longer than the limit (line end included); it was read and dropped.
    TooLong { crlf: bool },
    /// The peer closed the connection (a partial last line is dropped).
    Closed,
}

/// Reads one line (up to and including `\n`) into `buf`, replacing what it held.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
    buf: &mut Vec<u8>,
) -> io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    // The last byte of the previous chunk, to tell a CR split from its LF.
    let mut last = None;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Closed);
        }
        let (chunk, found_end) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        let crlf = found_end
            && match chunk.len() {
                1 => last == Some(b'\r'),
                n => chunk[n - 2] == b'\r',
            };
        last = chunk.last().copied();
        let room = limit.saturating_sub(buf.len());
        if chunk.len() > room {
            too_long = true;
        }
        if !too_long {
            buf.extend_from_slice(chunk);
        }
        reader.consume(used);
        if found_end {
            return Ok(if too_long {
                Line::TooLong { crlf }
            } else {
                Line::Complete { crlf }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8], limit: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = tokio::io::BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        loop {
            let line = read_line(&mut reader, limit, &mut buf).await.expect("read");
            let closed = line == Line::Closed;
            out.push((line, buf.clone()));
            if closed {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn lines_end_at_lf_and_tell_crlf_from_a_bare_lf() {
        let read = lines(b"HELO a\r\nNOOP\nQUI", 100).await;
        assert_eq!(
            read[0],
            (Line::Complete { crlf: true }, b"HELO a\r\n".to_vec())
        );
        assert_eq!(
            read[1],
            (Line::Complete { crlf: false }, b"NOOP\n".to_vec())
        );
        assert_eq!(read[2].0, Line::Closed);
    }

    #[tokio::test]
    async fn a_line_past_the_limit_is_skipped_whole_and_reading_goes_on() {
        let read = lines(b"0123456789\r\nok\r\n", 8).await;
        assert_eq!(read[0].0, Line::TooLong { crlf: true });
        assert_eq!(read[1], (Line::Complete { crlf: true }, b"ok\r\n".to_vec()));
        // The CR and the LF arrive in different reads (the reader holds 4 bytes).
        let read = lines(b"abc\r\n", 8).await;
        assert_eq!(
            read[0],
            (Line::Complete { crlf: true }, b"abc\r\n".to_vec())
        );
        let read = lines(b"abcdefg\r\n", 8).await;
        assert_eq!(read[0].0, Line::TooLong { crlf: true });
        let read = lines(b"abcdefghij\n", 8).await;
        assert_eq!(read[0].0, Line::TooLong { crlf: false });
        // Exactly at the limit, line end included, is still a line.
        let read = lines(b"123456\r\n", 8).await;
        assert_eq!(read[0].0, Line::Complete { crlf: true });
    }
}
