//! `livret`: parse the command line and start. Nothing else lives here.

use clap::Parser;
use livret::cli::{AdminCommand, Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sled=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
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
                println!("{line}")
            })
        }
        Command::Admin(AdminCommand::RotateVapid(args)) => {
            finish(livret::admin_rotate_vapid(args.config()).await, print_lines)
        }
        Command::Admin(AdminCommand::SignInLink(args)) => {
            finish(livret::admin_sign_in_link(args.config()).await, print_lines)
        }
        Command::Healthcheck(args) => {
            if args.check() {
                ExitCode::SUCCESS
            } else {
                eprintln!("livret ne répond pas sur http://{}/healthz", args.listen);
                ExitCode::FAILURE
            }
        }
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
            eprintln!("livret : {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_lines(lines: Vec<String>) {
    for line in lines {
        println!("{line}");
    }
}
