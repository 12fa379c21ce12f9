//! One configuration, from command-line flags and `LIVRET_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything `livret serve` needs to know.
#[derive(Clone, Debug)]
pub struct Config {
    /// Data directory (sled store). Flag `--data`, variable `LIVRET_DATA`, default
    /// `./livret-data`.
    pub data: PathBuf,
    /// Address to listen on. Flag `--listen`, variable `LIVRET_LISTEN`, default
    /// `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Address people use to reach the service, without trailing slash, for example
    /// `https://livret.lycee-exemple.fr`. Flag `--public-url`, variable
    /// `LIVRET_PUBLIC_URL`; default `http://<listen>`. Printed links start with it;
    /// when it is `https`, cookies are marked `Secure`.
    pub public_url: String,
    /// IANA time zone of the school, which decides what "today" is. Flag
    /// `--time-zone`, variable `LIVRET_TIME_ZONE`, default `Europe/Paris`.
    pub time_zone: String,
    /// Largest accepted request body, in bytes (larger ones get 413). Default 64 KiB.
    pub max_body_bytes: usize,
    /// sled page cache, in bytes. Default 64 MiB.
    pub cache_bytes: u64,
}

impl Config {
    /// True when the public URL is HTTPS (cookies then get `Secure` and `__Host-`).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}
