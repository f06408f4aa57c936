//! `copytrade`: the server's command line. Settings come from `COPYTRADE_*` environment
//! variables (see the README); a bad one stops the program with one line saying what to fix.

use std::process::ExitCode;

use copytrade::app::{self, App, StartupError};
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
  print-schema   write the GraphQL schema (SDL) to stdout
  help           show this help
  version        show the version

Settings are environment variables (COPYTRADE_LISTEN, COPYTRADE_DATA_DIR,
COPYTRADE_DATABASE_URL, ...): see the README.";

enum Command {
    Serve,
    Migrate,
    RotateMasterKey,
    PrintSchema,
    Help,
    Version,
}

fn parse(args: &[String]) -> Result<Command, String> {
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
        Command::Serve | Command::Migrate | Command::RotateMasterKey => {
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
