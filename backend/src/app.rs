//! Wiring and life cycle: from a [`Config`] to a migrated database, the server's secrets and a
//! router, then serving until SIGINT/SIGTERM with a bounded grace for in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::auth::Auth;
use crate::auth::token::TokenKeys;
use crate::brokers::Brokers;
use crate::brokers::http::HttpClient;
use crate::brokers::paper::PaperExchange;
use crate::clock::Clock;
use crate::config::{Config, ConfigError, DatabaseUrl, ServerSecrets, secrets::SecretSource};
use crate::connections::Connections;
use crate::copier::{Copier, CopierSettings};
use crate::db::{self, Db, DbError};
use crate::graphql::{self, SchemaOptions, ServerInfo};
use crate::http::{self, AppState, StaticFiles};
use crate::mail::Mail;
use crate::shutdown::{self, ShutdownTrigger};
use crate::signals::Signals;
use crate::vault::Vault;

/// Why the server could not start; each message is one line saying what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}; check COPYTRADE_DATABASE_URL{hint}", hint = database_hint(.0))]
    Database(#[from] DbError),
    #[error(
        "cannot listen on {addr}: {reason}; stop whatever uses that port or set COPYTRADE_LISTEN to another address"
    )]
    Bind {
        addr: SocketAddr,
        reason: std::io::Error,
    },
    #[error("cannot set up TLS for broker connections: {0}")]
    Tls(String),
    #[error("{0}; check COPYTRADE_SMTP_URL")]
    Mail(#[from] crate::mail::MailError),
    #[error("{0}")]
    Breach(#[from] crate::breach::BreachError),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

fn database_hint(err: &DbError) -> String {
    match err {
        DbError::Connect { reason, url } if reason.contains("does not exist") => {
            let name = url
                .rsplit('/')
                .next()
                .and_then(|db| db.split('?').next())
                .unwrap_or_default();
            format!(" and create the database first (`createdb {name}` on that server)")
        }
        DbError::Connect { .. } => " and that the database server is running".to_owned(),
        _ => String::new(),
    }
}

/// A server ready to serve: migrated database, secrets loaded, router built.
pub struct App {
    pub config: Config,
    pub secrets: ServerSecrets,
    pub state: AppState,
    trigger: ShutdownTrigger,
}

impl App {
    /// Prepares the data directory, loads or generates the secrets (through `env`), migrates
    /// and connects to the database.
    pub async fn prepare(
        config: Config,
        env: impl Fn(&str) -> Option<String>,
        clock: Clock,
    ) -> Result<Self, StartupError> {
        config.prepare_data_dir()?;
        let (secrets, sources) = ServerSecrets::load(&config.data_dir, env)?;
        for (what, source) in sources {
            match source {
                SecretSource::Generated(path) => tracing::warn!(
                    path = %path.display(),
                    "generated a new {what}: keep this file private and back it up; several \
                     instances must share it (or set it by environment variable)"
                ),
                SecretSource::File(path) => {
                    tracing::info!(path = %path.display(), "loaded the {what}")
                }
                SecretSource::Env(var) => tracing::info!("loaded the {what} from {var}"),
            }
        }
        if config.serves_plain_http_beyond_loopback() {
            tracing::warn!(
                listen = %config.listen,
                "other machines can reach this server, but it speaks plain HTTP and no trusted \
                 proxy can report HTTPS: session cookies are not Secure, no HSTS is sent and \
                 passwords cross the network unencrypted. Put a TLS-terminating reverse proxy \
                 in front and set COPYTRADE_TRUSTED_PROXIES to its address, or listen on \
                 127.0.0.1"
            );
        }
        let report = migrate(&config).await?;
        let db = Db::connect(&config.database).await?;
        tracing::info!(
            database = %config.database.redacted(),
            applied = report.applied.len(),
            "database ready"
        );
        let static_files = StaticFiles::new(&config.static_dir);
        if !static_files.is_built() {
            tracing::warn!(
                dir = %static_files.dir().display(),
                "the web app is not built here: the API works, pages answer 503 until `trunk build --release` runs"
            );
        }
        let vault = Arc::new(Vault::new(&secrets.master_keys));
        let mail = Mail::new(
            db.clone(),
            vault.clone(),
            clock.clone(),
            config.mail.as_ref(),
            &config.public_url,
        )?;
        log_mail_settings(&config);
        let info = ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: db.kind(),
            mail_enabled: mail.is_enabled(),
        };
        let auth = Auth::new(
            db.clone(),
            TokenKeys::new(&secrets.jwt_secret),
            vault.clone(),
            mail.clone(),
            clock.clone(),
        )
        .with_registrations_per_hour(config.registrations_per_hour);
        let http = HttpClient::new(crate::brokers::http::DEFAULT_TIMEOUT)
            .map_err(|err| StartupError::Tls(err.to_string()))?;
        let brokers = Brokers::new(
            config.broker_endpoints.clone(),
            config.tradovate,
            PaperExchange::new(db.clone(), clock.clone()),
            http,
        );
        let connections = Connections::new(
            db.clone(),
            vault.clone(),
            brokers.clone(),
            auth.clone(),
            clock.clone(),
        );
        let options = SchemaOptions {
            introspection: config.graphiql,
        };
        let copier = Copier::new(
            db.clone(),
            clock.clone(),
            connections.clone(),
            CopierSettings {
                max_signal_age: config.signal_max_age,
                ..CopierSettings::default()
            },
            match &config.database {
                DatabaseUrl::Postgres(url) => Some(url.clone()),
                DatabaseUrl::Sqlite(_) => None,
            },
        );
        let signals = Signals::new(
            db.clone(),
            clock,
            copier.clone(),
            vault,
            &config.public_url,
            config.signal_rate,
        );
        let schema = graphql::build_schema(
            info,
            auth.clone(),
            connections.clone(),
            signals.clone(),
            copier.clone(),
            &options,
        );
        let (trigger, shutdown) = shutdown::channel();
        let state = AppState {
            db,
            auth,
            mail,
            connections,
            signals,
            copier,
            brokers,
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            schema,
            static_files: Arc::new(static_files),
            shutdown,
            live: crate::http::LiveSockets::new(config.ws_keepalive),
        };
        Ok(Self {
            config,
            secrets,
            state,
            trigger,
        })
    }

    pub fn router(&self) -> Router {
        http::router(self.state.clone(), &self.config)
    }

    /// Binds the configured address.
    pub async fn bind(&self) -> Result<TcpListener, StartupError> {
        let addr = self.config.listen;
        TcpListener::bind(addr)
            .await
            .map_err(|reason| StartupError::Bind { addr, reason })
    }

    /// Serves until `signal` completes, then stops accepting connections and gives in-flight
    /// requests the configured grace to finish. Open subscriptions end at once.
    pub async fn serve(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let router = self.router();
        // Working paper orders fill when the simulated price crosses them.
        tokio::spawn(
            self.state
                .brokers
                .paper
                .clone()
                .run_matcher(self.state.shutdown.clone()),
        );
        // Linked keys are checked with their brokers daily (withdrawal rights appear later).
        tokio::spawn(
            self.state
                .connections
                .clone()
                .run_daily_checks(self.state.shutdown.clone()),
        );
        // Copies a restart interrupted are finished; leader accounts are listened to.
        tokio::spawn(
            self.state
                .copier
                .clone()
                .run_resumer(self.state.shutdown.clone()),
        );
        // Old login attempts and expired deleted-account logs are removed hourly.
        tokio::spawn(
            self.state
                .auth
                .clone()
                .run_pruner(self.state.shutdown.clone()),
        );
        // Queued mail goes to the SMTP server, retried through outages.
        tokio::spawn(
            self.state
                .mail
                .clone()
                .run_sender(self.state.shutdown.clone()),
        );
        // Several instances on PostgreSQL share their live feeds.
        tokio::spawn(
            self.state
                .copier
                .clone()
                .run_relay(self.state.shutdown.clone()),
        );
        let grace = self.config.shutdown_grace;
        let shutdown = self.state.shutdown.clone();
        let trigger = self.trigger;
        let begin_shutdown = async move {
            signal.await;
            tracing::info!(
                grace_seconds = grace.as_secs(),
                "shutting down: finishing in-flight requests"
            );
            trigger.trigger();
        };
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(begin_shutdown);
        let grace_expired = async move {
            shutdown.wait().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => {
                result.map_err(StartupError::Serve)?;
                tracing::info!("stopped");
            }
            () = grace_expired => tracing::warn!("requests still running after the grace period were cut off"),
        }
        Ok(())
    }
}

/// `copytrade notify-users`: mails a breach notice to every affected user (see [`crate::breach`]).
/// Safe to interrupt and rerun: nobody is mailed twice.
pub async fn notify_users(
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
    notice: &crate::breach::Notice,
) -> Result<crate::breach::NoticeReport, StartupError> {
    use crate::config::MasterKeys;

    config.prepare_data_dir()?;
    migrate(config).await?;
    let db = Db::connect(&config.database).await?;
    let keys = MasterKeys::load(&config.data_dir, &env)?;
    let mail = Mail::new(
        db.clone(),
        Arc::new(Vault::new(&keys)),
        Clock::system(),
        config.mail.as_ref(),
        &config.public_url,
    )?;
    Ok(crate::breach::notify_users(&db, &mail, notice).await?)
}

/// Says at start whether mail is on, and warns when it would cross the network unencrypted.
fn log_mail_settings(config: &Config) {
    match &config.mail {
        None => tracing::warn!(
            "mail is off: COPYTRADE_SMTP_URL and COPYTRADE_MAIL_FROM are not set, so email \
             addresses are not verified, forgotten passwords cannot be reset by email and no \
             security notices are sent (the web app says so)"
        ),
        Some(mail) => {
            tracing::info!(smtp = %mail.redacted_url(), from = %mail.from, "mail is on");
            if mail.is_plaintext_beyond_loopback() {
                tracing::warn!(
                    smtp = %mail.redacted_url(),
                    "mail goes to another machine over plain SMTP: reset links and the SMTP \
                     password cross the network unencrypted; use smtps:// or ?tls=required"
                );
            }
        }
    }
}

/// Applies pending migrations (the `migrate` command, and every start).
pub async fn migrate(config: &Config) -> Result<db::MigrationReport, StartupError> {
    let report = db::migrate(&config.database).await?;
    for version in &report.applied {
        tracing::info!(%version, "applied migration");
    }
    Ok(report)
}

/// `copytrade rotate-master-key`: makes a new master key (when the keys live in the data
/// directory) or takes the one configured (`COPYTRADE_MASTER_KEY`, with the old one in
/// `COPYTRADE_PREVIOUS_MASTER_KEYS`), re-encrypts every sealed record under it, and retires
/// old keys no record uses any more. Returns a report for the operator. Safe to interrupt and
/// run again: a run that finds records still under an old key continues that rotation rather
/// than starting another.
pub async fn rotate_master_key(
    config: &Config,
    env: impl Fn(&str) -> Option<String>,
) -> Result<String, StartupError> {
    use crate::config::MasterKeys;
    use crate::config::secrets::{self as key_files, SecretSource};
    use crate::vault::{fingerprint, rotation};

    config.prepare_data_dir()?;
    migrate(config).await?;
    let db = Db::connect(&config.database).await?;
    let mut keys = MasterKeys::load(&config.data_dir, &env)?;
    let in_files = !matches!(keys.source, SecretSource::Env(_));
    let mut lines = Vec::new();
    let active = fingerprint(&keys.active);
    let behind: u64 = rotation::census(&db)
        .await?
        .iter()
        .filter(|(id, _)| **id != active)
        .map(|(_, count)| count)
        .sum();
    if behind > 0 {
        lines.push(format!(
            "continuing the rotation to key {active:08x}: {behind} record(s) still under older keys"
        ));
    } else if in_files {
        key_files::rotate_master_key_file(&config.data_dir)?;
        keys = MasterKeys::reload_files(&config.data_dir)?;
        lines.push(format!(
            "new master key {:08x} written to {}; the old one stays readable until no record uses it",
            fingerprint(&keys.active),
            config.data_dir.join("master.key").display()
        ));
    } else {
        lines.push(format!(
            "every record is already under the active key {active:08x}. To rotate, set \
             COPYTRADE_MASTER_KEY to a new key (openssl rand -base64 32), put the old one in \
             COPYTRADE_PREVIOUS_MASTER_KEYS on every server, restart them, and run this again"
        ));
    }
    let vault = Vault::new(&keys);
    let started = std::time::Instant::now();
    let report = rotation::rotate(&db, &vault, rotation::DEFAULT_BATCH).await?;
    lines.push(format!(
        "re-encrypted {} record(s) in {:.2} s; {} already current; {} changed meanwhile; {} unreadable",
        report.resealed,
        started.elapsed().as_secs_f64(),
        report.current,
        report.changed_meanwhile,
        report.unreadable
    ));
    let census = rotation::census(&db).await?;
    let (in_use, unused): (Vec<_>, Vec<_>) = keys
        .previous
        .iter()
        .cloned()
        .partition(|key| census.contains_key(&fingerprint(key)));
    for key in &in_use {
        let id = fingerprint(key);
        lines.push(format!(
            "key {id:08x} still holds {} record(s): kept; run this command again",
            census.get(&id).copied().unwrap_or_default()
        ));
    }
    if in_files {
        key_files::write_previous_keys(&config.data_dir, &in_use)?;
        if !unused.is_empty() {
            lines.push(format!(
                "retired {} old key(s) no record uses",
                unused.len()
            ));
        }
    } else {
        for key in &unused {
            lines.push(format!(
                "key {:08x} is no longer used: remove it from COPYTRADE_PREVIOUS_MASTER_KEYS",
                fingerprint(key)
            ));
        }
    }
    tracing::info!(resealed = report.resealed, "master key rotation finished");
    Ok(lines.join("\n"))
}
