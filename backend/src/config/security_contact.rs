//! `COPYTRADE_SECURITY_CONTACT`: where people report a vulnerability in this installation,
//! published as the `Contact:` of `/.well-known/security.txt` (RFC 9116).
//!
//! Rules: the value is a URI a finder can use as is, a `mailto:` or an `https://` one (RFC 9116
//! §2.5.3 wants web contacts over HTTPS, so `http://` is refused); a bare email address becomes
//! `mailto:`. Anything else stops the server at start rather than publish a contact that
//! reaches no one.

/// A contact URI, checked: `mailto:…` or `https://…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityContact(String);

impl SecurityContact {
    /// Parses the setting; the error says what is wrong and what is accepted.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let refuse = |why: &str| {
            Err(format!(
                "`{raw}` {why}; give an email address (security@example.com), a mailto: URI or an https:// URL"
            ))
        };
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refuse("contains spaces");
        }
        let lower = raw.to_ascii_lowercase();
        if let Some(address) = lower.strip_prefix("mailto:") {
            if !is_email(address.split('?').next().unwrap_or_default()) {
                return refuse("has no email address after mailto:");
            }
            return Ok(Self(format!("mailto:{}", &raw["mailto:".len()..])));
        }
        if let Some(rest) = lower.strip_prefix("https://") {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if host.is_empty() {
                return refuse("has no host");
            }
            return Ok(Self(raw.to_owned()));
        }
        if lower.starts_with("http://") {
            return refuse("is plain HTTP, which RFC 9116 does not allow for a contact");
        }
        if !raw.contains(':') && is_email(raw) {
            return Ok(Self(format!("mailto:{raw}")));
        }
        refuse("is not a contact")
    }

    /// The URI, for the `Contact:` line.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `local@domain` with both parts present; full RFC 5322 checking would refuse nothing useful.
fn is_email(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('/')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> String {
        SecurityContact::parse(raw)
            .unwrap_or_else(|err| panic!("{raw}: {err}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn a_bare_email_address_becomes_a_mailto_uri() {
        assert_eq!(
            parsed(" security@example.com "),
            "mailto:security@example.com"
        );
    }

    #[test]
    fn mailto_and_https_contacts_are_kept_as_given() {
        assert_eq!(
            parsed("mailto:sec@example.com?subject=report"),
            "mailto:sec@example.com?subject=report"
        );
        assert_eq!(parsed("MAILTO:sec@example.com"), "mailto:sec@example.com");
        assert_eq!(
            parsed("https://example.com/security"),
            "https://example.com/security"
        );
    }

    #[test]
    fn anything_a_finder_could_not_use_is_refused_with_the_reason() {
        for (raw, why) in [
            ("http://example.com/security", "is plain HTTP"),
            ("https://", "has no host"),
            ("mailto:", "has no email address"),
            ("mailto:nobody", "has no email address"),
            ("tel:+1-201-555-0123", "is not a contact"),
            ("security team", "contains spaces"),
            ("example.com", "is not a contact"),
            ("@example.com", "is not a contact"),
        ] {
            let err = SecurityContact::parse(raw).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
            assert!(err.contains("give an email address"), "{raw}: {err}");
        }
    }
}
