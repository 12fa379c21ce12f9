//! A push service on loopback (RFC 8030) for the tests of the web push path: it keeps
//! every POST it receives (headers, body, arrival instant) and answers each with the
//! next status of its script, then 201 Created once the script is used up.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One POST as the service received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request path (`/push/<name>`).
    pub path: String,
    /// Header names in lower case → value.
    pub headers: HashMap<String, String>,
    /// The (encrypted) body.
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    /// A header's value (name in any case); panics when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    script: VecDeque<u16>,
}

/// The running service; stops when dropped.
pub struct PushService {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PushService {
    /// Starts a service that answers with `script` in order, then 201.
    pub async fn start(script: &[u16]) -> PushService {
        use poem::listener::{Acceptor, Listener, TcpListener};
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            received: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let kept = shared.clone();
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let kept = kept.clone();
            async move {
                let path = req.uri().path().to_string();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_ascii_lowercase(),
                            v.to_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect();
                let body = req.into_body().into_vec().await.unwrap_or_default();
                let mut shared = kept.lock().unwrap();
                let status = shared.script.pop_front().unwrap_or(201);
                shared.received.push(Received {
                    path,
                    headers,
                    body,
                    at: Instant::now(),
                    status,
                });
                poem::Response::builder()
                    .status(poem::http::StatusCode::from_u16(status).unwrap())
                    .finish()
            }
        });
        let task = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor)
                .run(endpoint)
                .await;
        });
        PushService { addr, shared, task }
    }

    /// The endpoint URL of a device named `name`: `http://127.0.0.1:<port>/push/<name>`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("http://{}/push/{name}", self.addr)
    }

    /// What was received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits (at most 5 s) until `n` requests were received, and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the push service got {} requests, not {n}",
            self.received().len()
        );
    }
}

/// A push service that accepts every connection and never answers (a stalled or
/// hostile one): it counts the connections and keeps them open until dropped.
pub struct SilentService {
    pub addr: SocketAddr,
    accepted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SilentService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SilentService {
    pub async fn start() -> SilentService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(0));
        let counted = accepted.clone();
        let task = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                *counted.lock().unwrap() += 1;
                open.push(socket);
            }
        });
        SilentService {
            addr,
            accepted,
            task,
        }
    }

    /// The endpoint URL of a device named `name`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("http://{}/push/{name}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}
