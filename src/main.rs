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
        Command::Serve(args) => match livret::serve(args.config(), args.demo).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("livret : {e}");
                ExitCode::FAILURE
            }
        },
        Command::Admin(AdminCommand::SetupLink(args)) => {
            match livret::admin_setup_link(args.config()).await {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("livret : {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Admin(AdminCommand::RotateVapid(args)) => {
            match livret::admin_rotate_vapid(args.config()).await {
                Ok(lines) => {
                    for line in lines {
                        println!("{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("livret : {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Admin(AdminCommand::SignInLink(args)) => {
            match livret::admin_sign_in_link(args.config()).await {
                Ok(lines) => {
                    for line in lines {
                        println!("{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("livret : {e}");
                    ExitCode::FAILURE
                }
            }
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
