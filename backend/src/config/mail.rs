//! `COPYTRADE_SMTP_URL` and `COPYTRADE_MAIL_FROM`: where outgoing mail goes, and who it is from.
//!
//! Rules: both or neither (mail is off without them, and the server says so at start); the URL
//! is `smtp://` (plain, or STARTTLS with `?tls=required`) or `smtps://` (TLS from the first
//! byte), checked by the same parser the sender uses, so a typo stops the start rather than
//! the first mail. The URL may hold the SMTP password: it never reaches a log or an error.

use lettre::message::Mailbox;

use super::ConfigError;

/// Outgoing mail settings, checked.
#[derive(Clone)]
pub struct MailSettings {
    /// The SMTP server's URL, password included.
    pub smtp_url: String,
    /// The `From:` of every mail.
    pub from: Mailbox,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.redacted_url())
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailSettings {
    /// Reads both settings; `None` when neither is set (mail is off).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        let (url, from) = match (get("COPYTRADE_SMTP_URL"), get("COPYTRADE_MAIL_FROM")) {
            (None, None) => return Ok(None),
            (Some(url), Some(from)) => (url.trim().to_owned(), from.trim().to_owned()),
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    var: "COPYTRADE_MAIL_FROM",
                    why: "is not set, but COPYTRADE_SMTP_URL is; set it to the sender, such as \
                          CopyTrade <mail@example.com>, or unset both to turn mail off"
                        .to_owned(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    var: "COPYTRADE_SMTP_URL",
                    why:
                        "is not set, but COPYTRADE_MAIL_FROM is; set it to your SMTP server, such \
                          as smtps://user:password@smtp.example.com, or unset both to turn mail off"
                            .to_owned(),
                });
            }
        };
        let settings = Self {
            from: from.parse().map_err(|_| ConfigError::Invalid {
                var: "COPYTRADE_MAIL_FROM",
                why: format!(
                    "`{from}` is not a mailbox; use an address (mail@example.com) or a name and \
                     an address (CopyTrade <mail@example.com>)"
                ),
            })?,
            smtp_url: url,
        };
        if !(settings.smtp_url.starts_with("smtp://") || settings.smtp_url.starts_with("smtps://"))
        {
            return Err(settings.invalid_url("must start with smtp:// or smtps://"));
        }
        crate::mail::smtp::check_url(&settings.smtp_url)
            .map_err(|why| settings.invalid_url(&why))?;
        Ok(Some(settings))
    }

    /// The URL with any password hidden.
    pub fn redacted_url(&self) -> String {
        super::redact_url_password(&self.smtp_url)
    }

    /// Whether mail crosses the network unencrypted: plain `smtp://` without STARTTLS, to a
    /// host other than this machine.
    pub fn is_plaintext_beyond_loopback(&self) -> bool {
        let Some(rest) = self.smtp_url.strip_prefix("smtp://") else {
            return false;
        };
        if self.smtp_url.contains("tls=required") || self.smtp_url.contains("tls=opportunistic") {
            return false;
        }
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host_port = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let host = host_port
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']').map(|(host, _)| host))
            .unwrap_or_else(|| host_port.split(':').next().unwrap_or_default());
        !(host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()))
    }

    fn invalid_url(&self, why: &str) -> ConfigError {
        ConfigError::Invalid {
            var: "COPYTRADE_SMTP_URL",
            why: format!(
                "`{}` {why}; for example smtps://user:password@smtp.example.com or \
                 smtp://127.0.0.1:25",
                self.redacted_url()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<MailSettings>, ConfigError> {
        MailSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn mail_is_off_without_either_setting() {
        assert!(read(&[]).unwrap().is_none());
    }

    #[test]
    fn one_setting_without_the_other_is_refused_by_name() {
        let err = read(&[("COPYTRADE_SMTP_URL", "smtp://127.0.0.1:25")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("COPYTRADE_MAIL_FROM is not set"),
            "{err}"
        );
        let err = read(&[("COPYTRADE_MAIL_FROM", "a@example.com")]).unwrap_err();
        assert!(
            err.to_string().starts_with("COPYTRADE_SMTP_URL is not set"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_url_or_sender_is_refused_without_showing_the_password() {
        let err = read(&[
            (
                "COPYTRADE_SMTP_URL",
                "http://user:hunter22@mail.example.com",
            ),
            ("COPYTRADE_MAIL_FROM", "a@example.com"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("must start with smtp://"), "{err}");
        assert!(!err.contains("hunter22"), "{err}");
        let err = read(&[
            ("COPYTRADE_SMTP_URL", "smtp://127.0.0.1:25"),
            ("COPYTRADE_MAIL_FROM", "not a mailbox"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("is not a mailbox"), "{err}");
    }

    #[test]
    fn plaintext_smtp_is_noticed_only_beyond_loopback() {
        let settings = |url: &str| {
            read(&[
                ("COPYTRADE_SMTP_URL", url),
                ("COPYTRADE_MAIL_FROM", "CopyTrade <mail@example.com>"),
            ])
            .unwrap()
            .unwrap()
        };
        assert!(!settings("smtp://127.0.0.1:2525").is_plaintext_beyond_loopback());
        assert!(!settings("smtp://localhost").is_plaintext_beyond_loopback());
        assert!(settings("smtp://u:p@mail.example.com:25").is_plaintext_beyond_loopback());
        assert!(
            !settings("smtp://mail.example.com:587?tls=required").is_plaintext_beyond_loopback()
        );
        assert!(!settings("smtps://mail.example.com").is_plaintext_beyond_loopback());
    }
}
