//! Server configuration, read once at start-up from `COPYTRADE_*` environment variables.
//!
//! Rules: every setting has a safe default (loopback only, an SQLite file in `./data`), and a bad
//! value stops the server at start with one line naming the variable, what is wrong and how to
//! fix it, never at the first request.

mod mail;
pub mod secrets;
mod security_contact;
mod trusted_proxies;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use mail::MailSettings;
pub use secrets::{MasterKeys, SecretBytes, ServerSecrets};
pub use security_contact::SecurityContact;
pub use trusted_proxies::TrustedProxies;

/// Everything the server is configured with, except secrets (see [`ServerSecrets`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// `COPYTRADE_LISTEN`: the address the HTTP server binds.
    pub listen: SocketAddr,
    /// `COPYTRADE_DATA_DIR`: where the SQLite file and generated key files live.
    pub data_dir: PathBuf,
    /// `COPYTRADE_DATABASE_URL`: which database, parsed.
    pub database: DatabaseUrl,
    /// `COPYTRADE_STATIC_DIR`: the web app built by Trunk.
    pub static_dir: PathBuf,
    /// `COPYTRADE_BODY_LIMIT`: the largest request body accepted on any route, in bytes.
    pub body_limit: usize,
    /// `COPYTRADE_GRAPHIQL`: serve GraphiQL and allow introspection (the schema is public).
    pub graphiql: bool,
    /// `COPYTRADE_SHUTDOWN_GRACE`: how long in-flight requests may take after SIGTERM, in seconds.
    pub shutdown_grace: Duration,
    /// `COPYTRADE_WS_KEEPALIVE_SECONDS`: how often the server pings each WebSocket; one that
    /// sends nothing back within the next interval is closed as dead.
    pub ws_keepalive: Duration,
    /// `COPYTRADE_LOG_FORMAT`: `text` (default) or `json` for log collectors.
    pub log_format: LogFormat,
    /// `COPYTRADE_API_RATE` / `COPYTRADE_API_BURST`: the API's request limit per client IP,
    /// requests per second on average and the burst allowed above it.
    pub api_rate: u32,
    pub api_burst: u32,
    /// `COPYTRADE_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// `COPYTRADE_REGISTER_LIMIT`: sign-ups accepted per client address (IPv6: per /64) per hour.
    pub registrations_per_hour: u32,
    /// `COPYTRADE_SIGNAL_RATE`: signals each webhook takes per minute (bursts of a third more).
    pub signal_rate: u32,
    /// `COPYTRADE_SIGNAL_MAX_AGE`: seconds after which a signal the copier has not sent yet (the
    /// server was down) is no longer traded.
    pub signal_max_age: Duration,
    /// `COPYTRADE_PUBLIC_URL`: where users and TradingView reach this server (webhook URLs).
    pub public_url: String,
    /// `COPYTRADE_SECURITY_CONTACT`: where to report a vulnerability (`/.well-known/security.txt`);
    /// none by default, and then that file is not served.
    pub security_contact: Option<SecurityContact>,
    /// `COPYTRADE_SMTP_URL` and `COPYTRADE_MAIL_FROM`: outgoing mail; off when `None`.
    pub mail: Option<MailSettings>,
    /// `COPYTRADE_ENDPOINT_<VENUE>[_WS]`: the brokers' URLs (built in; the operator may override).
    pub broker_endpoints: crate::brokers::BrokerEndpoints,
    /// `COPYTRADE_TRADOVATE_BRACKET_UNIT`, `COPYTRADE_TRADOVATE_SYNC`: Tradovate's unverified
    /// forms (docs/brokers.md §1).
    pub tradovate: crate::brokers::tradovate::TradovateSettings,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The database to use, from `COPYTRADE_DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An SQLite file, created with its parent folder on first start.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `postgres://…`, `postgresql://…`, `sqlite://path`, `sqlite:path` or a plain file path.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let raw = raw.trim();
        let invalid = |why: &str| ConfigError::Invalid {
            var: "COPYTRADE_DATABASE_URL",
            why: why.to_owned(),
        };
        if raw.is_empty() {
            return Err(invalid(
                "is empty; unset it for the default SQLite file, or set postgres://user@host:5432/db",
            ));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let rest = raw
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            if host.is_empty() || host.starts_with('/') {
                return Err(invalid(
                    "has no host; expected postgres://user@host:5432/database",
                ));
            }
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if let Some((scheme, _)) = path.split_once("://") {
            return Err(invalid(&format!(
                "uses the unsupported scheme `{scheme}`; use postgres://user@host:5432/db, sqlite://path/to/file.db or a file path"
            )));
        }
        if path.is_empty() || path == ":memory:" {
            return Err(invalid(
                "must name an SQLite file (an in-memory database would lose everything); for example sqlite://data/copytrade.db",
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password hidden, safe for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => redact_url_password(url),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password in `scheme://user:password@host/...` with `***`.
fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
    if user.len() == userinfo.len() {
        return url.to_owned();
    }
    format!("{scheme}://{user}:***@{host}")
}

/// A setting that cannot be used; the message says which, why, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} {why}")]
    Invalid { var: &'static str, why: String },
    #[error("data directory {path}: {why}; set COPYTRADE_DATA_DIR to a writable folder")]
    DataDir { path: PathBuf, why: String },
    #[error("{what} {path}: {why}")]
    KeyFile {
        what: &'static str,
        path: PathBuf,
        why: String,
    },
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let listen = match get("COPYTRADE_LISTEN") {
            Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                var: "COPYTRADE_LISTEN",
                why: format!(
                    "`{raw}` is not an address with a port, such as 127.0.0.1:8080 or 0.0.0.0:8080"
                ),
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir =
            PathBuf::from(get("COPYTRADE_DATA_DIR").unwrap_or_else(|| "data".to_owned()));
        let database = match get("COPYTRADE_DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw)?,
            None => DatabaseUrl::Sqlite(data_dir.join("copytrade.db")),
        };
        let static_dir = get("COPYTRADE_STATIC_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(default_static_dir);
        let body_limit = parse_number(
            &get,
            "COPYTRADE_BODY_LIMIT",
            64 * 1024,
            1024..=16 * 1024 * 1024,
        )?;
        let grace_secs = parse_number(&get, "COPYTRADE_SHUTDOWN_GRACE", 10, 0..=600)?;
        let ws_keepalive = parse_number(&get, "COPYTRADE_WS_KEEPALIVE_SECONDS", 30, 1..=3600)?;
        let api_rate = parse_number(&get, "COPYTRADE_API_RATE", 20, 1..=100_000)? as u32;
        let api_burst = parse_number(&get, "COPYTRADE_API_BURST", 100, 1..=1_000_000)? as u32;
        let registrations_per_hour =
            parse_number(&get, "COPYTRADE_REGISTER_LIMIT", 10, 1..=1_000_000)? as u32;
        let signal_rate = parse_number(&get, "COPYTRADE_SIGNAL_RATE", 60, 1..=10_000_000)? as u32;
        let signal_max_age = parse_number(&get, "COPYTRADE_SIGNAL_MAX_AGE", 300, 1..=86_400)?;
        let graphiql = parse_bool(&get, "COPYTRADE_GRAPHIQL", true)?;
        let log_format = match get("COPYTRADE_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: "COPYTRADE_LOG_FORMAT",
                    why: format!("`{other}` is not a log format; use `text` or `json`"),
                });
            }
        };
        let trusted_proxies = TrustedProxies::parse(
            &get("COPYTRADE_TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|why| ConfigError::Invalid {
            var: "COPYTRADE_TRUSTED_PROXIES",
            why: format!("{why}; give a comma-separated list such as 10.0.0.0/8,127.0.0.1"),
        })?;
        let public_url = match get("COPYTRADE_PUBLIC_URL") {
            Some(url) => {
                let url = url.trim().trim_end_matches('/').to_owned();
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.contains(char::is_whitespace)
                {
                    return Err(ConfigError::Invalid {
                        var: "COPYTRADE_PUBLIC_URL",
                        why: format!("`{url}` is not a URL such as https://copytrade.example.com"),
                    });
                }
                url
            }
            None => format!("http://{listen}"),
        };
        let security_contact = get("COPYTRADE_SECURITY_CONTACT")
            .map(|raw| SecurityContact::parse(&raw))
            .transpose()
            .map_err(|why| ConfigError::Invalid {
                var: "COPYTRADE_SECURITY_CONTACT",
                why,
            })?;
        let mail = MailSettings::from_lookup(get)?;
        let broker_endpoints = crate::brokers::BrokerEndpoints::from_lookup(get)?;
        let tradovate = crate::brokers::tradovate::TradovateSettings::from_lookup(get)?;
        Ok(Self {
            listen,
            data_dir,
            database,
            static_dir,
            body_limit,
            graphiql,
            shutdown_grace: Duration::from_secs(grace_secs as u64),
            ws_keepalive: Duration::from_secs(ws_keepalive as u64),
            log_format,
            api_rate,
            api_burst,
            trusted_proxies,
            registrations_per_hour,
            signal_rate,
            signal_max_age: Duration::from_secs(signal_max_age as u64),
            public_url,
            security_contact,
            mail,
            broker_endpoints,
            tradovate,
        })
    }

    /// Creates the data directory (and the SQLite file's folder) if missing and checks that it
    /// is a writable directory.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        ensure_writable_dir(&self.data_dir)?;
        if let DatabaseUrl::Sqlite(file) = &self.database
            && let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
        {
            ensure_writable_dir(parent)?;
        }
        Ok(())
    }

    /// Whether other machines can reach this server while nothing can tell it a request came over
    /// HTTPS: it speaks plain HTTP itself, and only a trusted proxy's `X-Forwarded-Proto` makes
    /// the session cookie `Secure` and turns HSTS on.
    pub fn serves_plain_http_beyond_loopback(&self) -> bool {
        !self.listen.ip().is_loopback() && self.trusted_proxies.is_empty()
    }
}

/// `dist` in the working directory if it exists, else the workspace's `dist` this binary was built in.
fn default_static_dir() -> PathBuf {
    let local = PathBuf::from("dist");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("dist")
}

fn ensure_writable_dir(path: &Path) -> Result<(), ConfigError> {
    let fail = |why: String| ConfigError::DataDir {
        path: path.to_owned(),
        why,
    };
    if path.exists() && !path.is_dir() {
        return Err(fail("exists but is not a directory".to_owned()));
    }
    std::fs::create_dir_all(path).map_err(|err| fail(format!("cannot be created ({err})")))?;
    // Prove we can write here now rather than fail later on the first database write.
    let probe = path.join(".copytrade-write-test");
    std::fs::write(&probe, b"ok").map_err(|err| fail(format!("is not writable ({err})")))?;
    std::fs::remove_file(&probe).map_err(|err| fail(format!("is not writable ({err})")))?;
    Ok(())
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, ConfigError> {
    let Some(raw) = get(var) else {
        return Ok(default);
    };
    match raw.trim().parse::<usize>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(ConfigError::Invalid {
            var,
            why: format!(
                "`{raw}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            var,
            why: format!("`{other}` is not true or false"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn defaults_are_loopback_and_an_sqlite_file_in_data() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database,
            DatabaseUrl::Sqlite(PathBuf::from("data/copytrade.db"))
        );
        assert_eq!(config.body_limit, 64 * 1024);
    }

    #[test]
    fn postgres_urls_select_postgres() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgresql://u:p@db/x",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url).unwrap(),
                DatabaseUrl::Postgres(url.to_owned())
            );
        }
    }

    #[test]
    fn sqlite_urls_and_paths_select_sqlite() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://x/y.db").unwrap(),
            DatabaseUrl::Sqlite("x/y.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:y.db").unwrap(),
            DatabaseUrl::Sqlite("y.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/z.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/z.db".into())
        );
    }

    #[test]
    fn malformed_database_urls_say_what_is_wrong() {
        let err = DatabaseUrl::parse("mysql://root@localhost/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported scheme `mysql`"), "{err}");
        let err = DatabaseUrl::parse("postgres://").unwrap_err().to_string();
        assert!(err.contains("has no host"), "{err}");
        let err = DatabaseUrl::parse("sqlite::memory:")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must name an SQLite file"), "{err}");
    }

    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        let url = DatabaseUrl::parse("postgres://app:hunter2secret@db:5432/ct").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/ct");
        assert!(!format!("{url:?}").contains("hunter2secret"));
    }

    #[test]
    fn bad_listen_address_names_the_variable() {
        let err = config(&[("COPYTRADE_LISTEN", "8080")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("COPYTRADE_LISTEN `8080` is not an address"),
            "{err}"
        );
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let err = config(&[("COPYTRADE_BODY_LIMIT", "10")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("COPYTRADE_BODY_LIMIT `10` must be a whole number from 1024"),
            "{err}"
        );
    }

    #[test]
    fn the_security_contact_is_parsed_once_and_a_bad_one_names_the_variable() {
        assert_eq!(config(&[]).unwrap().security_contact, None);
        let contact = config(&[("COPYTRADE_SECURITY_CONTACT", "sec@example.com")])
            .unwrap()
            .security_contact
            .unwrap();
        assert_eq!(contact.as_str(), "mailto:sec@example.com");
        let err = config(&[("COPYTRADE_SECURITY_CONTACT", "http://example.com/sec")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("COPYTRADE_SECURITY_CONTACT `http://example.com/sec` is plain HTTP"),
            "{err}"
        );
    }

    #[test]
    fn only_a_public_address_without_a_trusted_proxy_counts_as_plain_http_exposure() {
        let exposed =
            |vars: &[(&str, &str)]| config(vars).unwrap().serves_plain_http_beyond_loopback();
        assert!(!exposed(&[]));
        assert!(!exposed(&[("COPYTRADE_LISTEN", "[::1]:8080")]));
        assert!(exposed(&[("COPYTRADE_LISTEN", "0.0.0.0:8080")]));
        assert!(exposed(&[("COPYTRADE_LISTEN", "[::]:8080")]));
        assert!(!exposed(&[
            ("COPYTRADE_LISTEN", "0.0.0.0:8080"),
            ("COPYTRADE_TRUSTED_PROXIES", "10.0.0.0/8"),
        ]));
    }

    #[test]
    fn a_data_dir_that_is_a_file_is_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path().to_str().unwrap();
        let err = config(&[("COPYTRADE_DATA_DIR", path)])
            .unwrap()
            .prepare_data_dir()
            .unwrap_err()
            .to_string();
        assert!(err.contains("exists but is not a directory"), "{err}");
    }
}
