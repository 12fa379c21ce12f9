//! `livret`: parse the command line and start. Nothing else lives here.

use clap::Parser;
use livret::cli::{AdminCommand, Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed first: the command line says how to log (`--log-format`).
    let cli = Cli::parse();
    livret::ops::init_logging(cli.log_format);
    JSON_LOGS.store(
        cli.log_format == livret::ops::LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    match cli.command {
        Command::Serve(args) => {
            match args.check_derived_public_url() {
                Err(why) => return finish(Err::<(), _>(why), |()| {}),
                Ok(Some(warning)) => tracing::warn!("{warning}"),
                Ok(None) => {}
            }
            finish(livret::serve(args.config(), args.demo).await, |()| {})
        }
        Command::Admin(AdminCommand::SetupLink(args)) => {
            finish(livret::admin_setup_link(args.config()).await, |line| {
                print_lines(vec![line])
            })
        }
        Command::Admin(AdminCommand::RotateVapid(args)) => {
            finish(livret::admin_rotate_vapid(args.config()).await, print_lines)
        }
        Command::Admin(AdminCommand::SignInLink(args)) => {
            finish(livret::admin_sign_in_link(args.config()).await, print_lines)
        }
        Command::Backup(args) => match livret::clock::Clock::system(&args.time_zone) {
            Ok(clock) => finish(
                livret::backup::command_backup(&args.data, &args.to, &clock, 64 << 20).await,
                print_lines,
            ),
            Err(_) => finish(
                Err::<(), _>(format!("fuseau horaire « {} » inconnu", args.time_zone)),
                |()| {},
            ),
        },
        Command::Restore(args) => match livret::clock::Clock::system("UTC") {
            Ok(clock) => finish(
                livret::backup::command_restore(&args.from, &args.data, args.force, &clock),
                print_lines,
            ),
            Err(e) => finish(Err::<(), _>(e), |()| {}),
        },
        Command::Healthcheck(args) => {
            if args.check() {
                ExitCode::SUCCESS
            } else {
                let scheme = if args.uses_tls() { "https" } else { "http" };
                report_error(&format!(
                    "livret ne répond pas sur {scheme}://{}/healthz",
                    args.listen
                ));
                ExitCode::FAILURE
            }
        }
    }
}

/// True with `--log-format json`: error messages then go through the log, so that
/// stderr holds JSON lines only.
static JSON_LOGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A failure's French message on stderr: as is, or as a JSON log event.
fn report_error(message: &str) {
    if JSON_LOGS.load(std::sync::atomic::Ordering::Relaxed) {
        tracing::error!("{message}");
    } else {
        eprintln!("{message}");
    }
}

/// Success: `show` the result; failure: the French message on stderr.
fn finish<T, E: std::fmt::Display>(result: Result<T, E>, show: impl FnOnce(T)) -> ExitCode {
    match result {
        Ok(value) => {
            show(value);
            ExitCode::SUCCESS
        }
        Err(e) => {
            report_error(&format!("livret : {e}"));
            ExitCode::FAILURE
        }
    }
}

/// Prints `lines` on stdout; a closed pipe (`livret restore … | head -1`) ends the
/// printing quietly instead of panicking.
fn print_lines(lines: Vec<String>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}
