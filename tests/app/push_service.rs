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

/// A browser's side of a subscription: its key pair and auth secret, made with `ece`
/// as a browser makes them (shared by the push, notification and settings tests).
pub struct Device {
    /// The private and public key, for decrypting.
    pub components: ece::EcKeyComponents,
    /// The 16-byte authentication secret.
    pub auth: [u8; 16],
    /// The public key, base64url, as `toJSON()` gives it.
    pub p256dh: String,
}

/// A fresh device.
pub fn device() -> Device {
    use base64::Engine;
    let (pair, auth) = ece::generate_keypair_and_auth_secret().unwrap();
    Device {
        components: pair.raw_components().unwrap(),
        auth,
        p256dh: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.pub_as_raw().unwrap()),
    }
}

impl Device {
    /// Decrypts a received body as the device would and parses its JSON payload.
    pub fn open(&self, r: &Received) -> serde_json::Value {
        let plain = ece::decrypt(&self.components, &self.auth, &r.body).unwrap();
        assert!(plain.len() <= 3000, "payload of {} bytes", plain.len());
        serde_json::from_slice(&plain).unwrap()
    }
}

/// Stores the subscription of `d` at `endpoint` for `subject` straight in the app's
/// store, made from the JSON a browser's `PushSubscription.toJSON()` gives, with the
/// current VAPID key id.
pub async fn store_subscription(
    app: &crate::support::App,
    subject: livret::domain::Subject,
    endpoint: &str,
    d: &Device,
) -> livret::domain::push::PushSubscription {
    use base64::Engine;
    let json = format!(
        r#"{{"endpoint":"{endpoint}","expirationTime":null,"keys":{{"p256dh":"{}","auth":"{}"}}}}"#,
        d.p256dh,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.auth)
    );
    let keys = app.state.store.vapid_keys().unwrap().unwrap();
    let s = livret::domain::push::parse_subscription(&json)
        .unwrap()
        .into_subscription(subject, &keys.id, app.clock.now());
    app.state.store.put_push_subscription(&s).await.unwrap();
    s
}

/// Reads the VAPID `Authorization: vapid t=<JWT>, k=<key>` header of `r`, checks the
/// JWT's ES256 signature against `k`, and returns its header, its claims and `k`; the
/// caller checks the claims it cares about.
pub fn vapid_jwt(r: &Received) -> (serde_json::Value, serde_json::Value, String) {
    use base64::Engine;
    use p256::ecdsa::signature::Verifier;
    let b64 = |s: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    };
    let auth = r.header("authorization");
    let rest = auth.strip_prefix("vapid ").expect(auth);
    let (mut t, mut k) = ("", "");
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("t=") {
            t = v;
        } else if let Some(v) = part.strip_prefix("k=") {
            k = v;
        }
    }
    let pieces: Vec<&str> = t.split('.').collect();
    assert_eq!(pieces.len(), 3, "{t}");
    let header: serde_json::Value = serde_json::from_slice(&b64(pieces[0])).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&b64(pieces[1])).unwrap();
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&b64(k)).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&b64(pieces[2])).unwrap();
    key.verify(
        format!("{}.{}", pieces[0], pieces[1]).as_bytes(),
        &signature,
    )
    .expect("the VAPID signature verifies against k");
    (header, claims, k.to_string())
}
