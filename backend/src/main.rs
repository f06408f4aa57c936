//! `copytrade`: the server's command line. Settings come from `COPYTRADE_*` environment
//! variables (see the README); a bad one stops the program with one line saying what to fix.

use std::process::ExitCode;

use copytrade::app::{self, App, StartupError};
use copytrade::breach::{BreachError, Notice};
use copytrade::clock::Clock;
use copytrade::config::Config;
use copytrade::{graphql, shutdown, telemetry};

const USAGE: &str = "\
usage: copytrade [COMMAND]

commands:
  serve          run the server (the default)
  migrate        apply database migrations, then exit
  rotate-master-key
                 make a new master key (or use COPYTRADE_MASTER_KEY) and re-encrypt
                 every stored credential under it; safe to interrupt and rerun
  notify-users --subject S --body-file F [--with-credentials] [--since DATE]
                 mail a breach notice to every user (or, with --with-credentials, those
                 who held broker credentials since DATE: YYYY-MM-DD or RFC 3339); each
                 send goes into the user's security log; safe to interrupt and rerun:
                 nobody is mailed twice
  print-schema   write the GraphQL schema (SDL) to stdout
  help           show this help
  version        show the version

Settings are environment variables (COPYTRADE_LISTEN, COPYTRADE_DATA_DIR,
COPYTRADE_DATABASE_URL, ...): see the README.";

enum Command {
    Serve,
    Migrate,
    RotateMasterKey,
    NotifyUsers(Notice),
    PrintSchema,
    Help,
    Version,
}

fn parse(args: &[String]) -> Result<Command, String> {
    if let [first, rest @ ..] = args
        && first == "notify-users"
    {
        return parse_notice(rest).map(Command::NotifyUsers);
    }
    match args {
        [] => Ok(Command::Serve),
        [one] => match one.as_str() {
            "serve" => Ok(Command::Serve),
            "migrate" => Ok(Command::Migrate),
            "rotate-master-key" => Ok(Command::RotateMasterKey),
            "print-schema" => Ok(Command::PrintSchema),
            "help" | "-h" | "--help" => Ok(Command::Help),
            "version" | "-V" | "--version" => Ok(Command::Version),
            other => Err(format!("unknown command `{other}`; run `copytrade help`")),
        },
        _ => Err("expected at most one command; run `copytrade help`".to_owned()),
    }
}

/// `notify-users`' options; the body file is read here, so a wrong path fails before anything
/// is sent.
fn parse_notice(args: &[String]) -> Result<Notice, String> {
    let (mut subject, mut body_file, mut with_credentials, mut since) = (None, None, false, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value; run `copytrade help`"))
        };
        match arg.as_str() {
            "--subject" => subject = Some(value("--subject")?),
            "--body-file" => body_file = Some(value("--body-file")?),
            "--with-credentials" => with_credentials = true,
            "--since" => since = Some(parse_date(&value("--since")?)?),
            other => {
                return Err(format!(
                    "notify-users does not take `{other}`; run `copytrade help`"
                ));
            }
        }
    }
    let subject = subject.ok_or("notify-users needs --subject; run `copytrade help`")?;
    let path = body_file.ok_or("notify-users needs --body-file; run `copytrade help`")?;
    let body = std::fs::read_to_string(&path)
        .map_err(|err| format!("cannot read the body file {path}: {err}"))?;
    if since.is_some() && !with_credentials {
        return Err("--since narrows --with-credentials; give both, or neither".to_owned());
    }
    Ok(Notice {
        subject,
        body,
        with_credentials,
        since,
    })
}

/// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
fn parse_date(raw: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
        .ok_or_else(|| {
            format!("--since `{raw}` is not a date like 2026-12-01 or 2026-12-01T08:00:00Z")
        })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => return fail(&message),
    };
    match command {
        Command::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("copytrade {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::PrintSchema => {
            print!("{}", graphql::sdl());
            ExitCode::SUCCESS
        }
        Command::Serve | Command::Migrate | Command::RotateMasterKey | Command::NotifyUsers(_) => {
            let config = match Config::from_env() {
                Ok(config) => config,
                Err(err) => return fail(&err.to_string()),
            };
            telemetry::init(config.log_format);
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
            };
            let result = runtime.block_on(async move {
                match command {
                    Command::Migrate => {
                        config.prepare_data_dir()?;
                        let report = app::migrate(&config).await?;
                        println!("{} migration(s) applied", report.applied.len());
                        Ok(())
                    }
                    Command::RotateMasterKey => {
                        let report =
                            app::rotate_master_key(&config, |name| std::env::var(name).ok())
                                .await?;
                        println!("{report}");
                        Ok(())
                    }
                    Command::NotifyUsers(notice) => {
                        let report =
                            app::notify_users(&config, |name| std::env::var(name).ok(), &notice)
                                .await?;
                        println!("{report}");
                        if report.pending > 0 {
                            return Err(StartupError::Breach(BreachError::StillQueued(
                                report.pending,
                            )));
                        }
                        Ok(())
                    }
                    _ => serve(config).await,
                }
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => fail(&err.to_string()),
            }
        }
    }
}

async fn serve(config: Config) -> Result<(), StartupError> {
    let app = App::prepare(config, |name| std::env::var(name).ok(), Clock::system()).await?;
    let listener = app.bind().await?;
    let url = format!("http://{}/", app.config.listen);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), %url, "CopyTrade is listening");
    println!(
        "CopyTrade {} is running: open {url}",
        env!("CARGO_PKG_VERSION")
    );
    app.serve(listener, shutdown::os_signal()).await
}

fn fail(message: &str) -> ExitCode {
    eprintln!("copytrade: error: {message}");
    ExitCode::FAILURE
}
