//! The arguments of `MAIL FROM:` and `RCPT TO:` (RFC 5321 §4.1.1.2, §4.1.1.3, §4.1.2): the
//! path in angle brackets, then space-separated `KEYWORD[=value]` parameters.

/// A parsed `FROM:<path> params` or `TO:<path> params`.
#[derive(Debug, PartialEq, Eq)]
pub struct PathArgs {
    /// The mailbox, without brackets or a source route; empty for the null path `<>`.
    pub mailbox: String,
    /// Parameter keywords upper case, values as sent.
    pub params: Vec<(String, Option<String>)>,
}

/// Parses the argument of `MAIL` (`prefix` = `FROM:`) or `RCPT` (`TO:`). `None` is a syntax
/// error (501).
pub fn parse(args: &str, prefix: &str) -> Option<PathArgs> {
    let head = args.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    // RFC 5321 has no space after the colon; many clients send one, so it is tolerated.
    let rest = args[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let close = rest.find('>')?;
    let path = &rest[..close];
    let after = &rest[close + 1..];
    if !after.is_empty() && !after.starts_with(' ') {
        return None;
    }
    // A source route (`@relay1,@relay2:user@host`) must be accepted and ignored (§4.1.1.3).
    let mailbox = match path.strip_prefix('@') {
        Some(route) => route.split_once(':')?.1,
        None => path,
    };
    if !mailbox.is_empty() && !valid_mailbox(mailbox) {
        return None;
    }
    let params = after
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((key, value)) => (key.to_ascii_uppercase(), Some(value.to_owned())),
            None => (p.to_ascii_uppercase(), None),
        })
        .collect();
    Some(PathArgs {
        mailbox: mailbox.to_owned(),
        params,
    })
}

/// `local@domain` with no spaces or controls, or a bare `postmaster` (which `RCPT` must take,
/// §4.5.1). Quoted local parts with spaces are not supported.
fn valid_mailbox(mailbox: &str) -> bool {
    if mailbox.contains(|c: char| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
        return false;
    }
    match mailbox.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty(),
        None => mailbox.eq_ignore_ascii_case("postmaster"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(args: &str, prefix: &str) -> Option<String> {
        parse(args, prefix).map(|p| p.mailbox)
    }

    #[test]
    fn paths_are_read_from_brackets_with_parameters_after() {
        let parsed = parse(
            "FROM:<mail@copytrade.test> BODY=8BITMIME SIZE=1200",
            "FROM:",
        )
        .expect("valid");
        assert_eq!(parsed.mailbox, "mail@copytrade.test");
        assert_eq!(
            parsed.params,
            vec![
                ("BODY".to_owned(), Some("8BITMIME".to_owned())),
                ("SIZE".to_owned(), Some("1200".to_owned()))
            ]
        );
        assert_eq!(
            mailbox("from: <a@b.test>", "FROM:").as_deref(),
            Some("a@b.test")
        );
        assert_eq!(mailbox("FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(
            mailbox("TO:<Postmaster>", "TO:").as_deref(),
            Some("Postmaster")
        );
        assert_eq!(
            mailbox("TO:<@relay.test:bob@b.test>", "TO:").as_deref(),
            Some("bob@b.test")
        );
    }

    #[test]
    fn malformed_paths_are_syntax_errors() {
        for bad in [
            "TO:a@b.test",
            "TO:<a@b.test",
            "TO:<a@b.test>junk",
            "TO:<a b@c.test>",
            "TO:<nobody>",
            "TO:<@b.test>",
            "FROM<a@b.test>",
            "",
        ] {
            assert_eq!(parse(bad, "TO:"), None, "{bad}");
        }
    }
}
