//! A software WebAuthn authenticator for the tests (issue 7): what a phone's passkey
//! manager does, in a few lines, so that registration and sign-in run end to end
//! without a browser.
//!
//! - P-256 keys, ES256 signatures (COSE algorithm -7), "none" attestation, AAGUID of
//!   zeros, resident (discoverable) credentials that remember the user handle;
//! - flags UP and UV set (UV can be switched off to test that the server requires it),
//!   BE/BS off unless [`SoftAuthenticator::set_backup`] turns them on;
//! - a signature counter per credential: 0 at registration, then +1 per sign-in
//!   ([`SoftAuthenticator::set_counter`] sets it back, to test a cloned key);
//! - a hand-written CBOR encoder, just enough for the attestation object
//!   `{fmt: "none", attStmt: {}, authData}` and the COSE key
//!   `{1: 2, 3: -7, -1: 1, -2: x, -3: y}` (RFC 8949, RFC 9053).
//!
//! Options and answers are the JSON that webauthn-rs serialises and reads
//! (`CreationChallengeResponse` / `RegisterPublicKeyCredential`,
//! `RequestChallengeResponse` / `PublicKeyCredential`): binary fields in unpadded
//! base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One CBOR value, as much of RFC 8949 as WebAuthn's structures use.
pub enum Cbor {
    /// An integer (major type 0 or 1).
    Int(i64),
    /// A byte string (major type 2).
    Bytes(Vec<u8>),
    /// A text string (major type 3).
    Text(String),
    /// A map, keys in the order given (major type 5).
    Map(Vec<(Cbor, Cbor)>),
}

fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= u8::MAX as u64 {
        out.extend([m | 24, n as u8]);
    } else if n <= u16::MAX as u64 {
        out.push(m | 25);
        out.extend((n as u16).to_be_bytes());
    } else if n <= u32::MAX as u64 {
        out.push(m | 26);
        out.extend((n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend(n.to_be_bytes());
    }
}

impl Cbor {
    /// The value's CBOR encoding (definite lengths).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(n) if *n >= 0 => cbor_head(out, 0, *n as u64),
            Cbor::Int(n) => cbor_head(out, 1, (-1 - *n) as u64),
            Cbor::Bytes(b) => {
                cbor_head(out, 2, b.len() as u64);
                out.extend(b);
            }
            Cbor::Text(t) => {
                cbor_head(out, 3, t.len() as u64);
                out.extend(t.as_bytes());
            }
            Cbor::Map(pairs) => {
                cbor_head(out, 5, pairs.len() as u64);
                for (k, v) in pairs {
                    k.write(out);
                    v.write(out);
                }
            }
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .unwrap_or_else(|e| panic!("not base64url: {text:?}: {e}"))
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Authenticator data flags (WebAuthn level 3 §6.1).
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// One credential the authenticator made.
#[derive(Clone)]
struct Credential {
    id: Vec<u8>,
    key: SigningKey,
    user_handle: Vec<u8>,
    rp_id: String,
    /// The last counter value used (0 at registration).
    counter: u32,
}

/// A test-only passkey manager: see the module documentation.
#[derive(Clone)]
pub struct SoftAuthenticator {
    origin: String,
    credentials: Vec<Credential>,
    user_verified: bool,
    backup: (bool, bool),
}

impl SoftAuthenticator {
    /// An authenticator with no credential, answering as the page of `origin`
    /// (`http://localhost:PORT`).
    pub fn new(origin: &str) -> Self {
        SoftAuthenticator {
            origin: origin.trim_end_matches('/').to_string(),
            credentials: Vec::new(),
            user_verified: true,
            backup: (false, false),
        }
    }

    /// The same credentials (a copy: counters then move apart), answering as a page of
    /// another `origin` (a phishing site relaying the challenge).
    pub fn with_origin(&self, origin: &str) -> Self {
        SoftAuthenticator {
            origin: origin.trim_end_matches('/').to_string(),
            ..self.clone()
        }
    }

    /// Whether the next answers carry the UV (user verified) flag; on by default.
    pub fn set_user_verified(&mut self, verified: bool) {
        self.user_verified = verified;
    }

    /// The BE (backup eligible) and BS (backed up) flags of the next answers: a synced
    /// passkey has both; off by default. The server refuses a credential whose BE flag
    /// changes after registration.
    pub fn set_backup(&mut self, eligible: bool, state: bool) {
        self.backup = (eligible, state);
    }

    /// Sets every credential's counter to `n` (the last value used): the next sign-in
    /// carries `n + 1`. Setting it below what the server saw is what a cloned key does.
    pub fn set_counter(&mut self, n: u32) {
        for c in &mut self.credentials {
            c.counter = n;
        }
    }

    /// The ids (base64url) of the credentials made so far, oldest first.
    pub fn credential_ids(&self) -> Vec<String> {
        self.credentials.iter().map(|c| b64(&c.id)).collect()
    }

    fn flags(&self) -> u8 {
        let mut f = UP;
        if self.user_verified {
            f |= UV;
        }
        if self.backup.0 {
            f |= BE;
        }
        if self.backup.1 {
            f |= BS;
        }
        f
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// Answers `navigator.credentials.create(options)`: `options` is `{"publicKey":
    /// …}` as the server sent it; the answer is a `RegisterPublicKeyCredential`.
    /// Panics when the options exclude a credential it holds (use
    /// [`SoftAuthenticator::try_register`] to see that refusal).
    pub fn register(&mut self, options: &Value) -> Value {
        self.try_register(options)
            .unwrap_or_else(|e| panic!("the authenticator refused to register: {e}"))
    }

    /// As [`SoftAuthenticator::register`], with the browser's refusals as `Err`:
    /// `"InvalidStateError"` when a credential it holds is in `excludeCredentials`
    /// (already registered on this device), `"NotSupportedError"` when ES256 is not
    /// offered.
    pub fn try_register(&mut self, options: &Value) -> Result<Value, &'static str> {
        let pk = &options["publicKey"];
        let rp_id = pk["rp"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no rp.id in {options}"))
            .to_string();
        let challenge = pk["challenge"].as_str().expect("challenge").to_string();
        let user_handle = unb64(pk["user"]["id"].as_str().expect("user.id"));
        let es256 = pk["pubKeyCredParams"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["alg"] == json!(-7)));
        if !es256 {
            return Err("NotSupportedError");
        }
        let excluded: Vec<Vec<u8>> = pk["excludeCredentials"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["id"].as_str().map(unb64))
                    .collect()
            })
            .unwrap_or_default();
        if self
            .credentials
            .iter()
            .any(|c| c.rp_id == rp_id && excluded.contains(&c.id))
        {
            return Err("InvalidStateError");
        }

        let mut id = vec![0u8; 32];
        rand::rng().fill_bytes(&mut id);
        let key = loop {
            let mut secret = [0u8; 32];
            rand::rng().fill_bytes(&mut secret);
            if let Ok(k) = SigningKey::from_slice(&secret) {
                break k;
            }
        };
        let point = key.verifying_key().to_encoded_point(false);
        let cose_key = Cbor::Map(vec![
            (Cbor::Int(1), Cbor::Int(2)),  // kty: EC2
            (Cbor::Int(3), Cbor::Int(-7)), // alg: ES256
            (Cbor::Int(-1), Cbor::Int(1)), // crv: P-256
            (Cbor::Int(-2), Cbor::Bytes(point.x().expect("x").to_vec())),
            (Cbor::Int(-3), Cbor::Bytes(point.y().expect("y").to_vec())),
        ]);
        let mut auth_data = Vec::new();
        auth_data.extend(sha256(rp_id.as_bytes()));
        auth_data.push(self.flags() | AT);
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID
        auth_data.extend((id.len() as u16).to_be_bytes());
        auth_data.extend(&id);
        auth_data.extend(cose_key.encode());
        let attestation_object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(Vec::new())),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ])
        .encode();
        let client_data = self.client_data("webauthn.create", &challenge);
        self.credentials.push(Credential {
            id: id.clone(),
            key,
            user_handle,
            rp_id,
            counter: 0,
        });
        Ok(json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation_object),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }))
    }

    /// Answers `navigator.credentials.get(options)`: `options` is `{"publicKey": …}` as
    /// the server sent it. Uses the first credential of this RP listed in
    /// `allowCredentials`, or, when the list is empty (discoverable sign-in), the most
    /// recently made credential of this RP. The answer is a `PublicKeyCredential` with
    /// `userHandle`. Panics when it holds no usable credential.
    pub fn sign_in(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rpId"]
            .as_str()
            .unwrap_or_else(|| panic!("no rpId in {options}"))
            .to_string();
        let allowed: Vec<Vec<u8>> = pk["allowCredentials"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["id"].as_str().map(unb64))
                    .collect()
            })
            .unwrap_or_default();
        let index = if allowed.is_empty() {
            self.credentials.iter().rposition(|c| c.rp_id == rp_id)
        } else {
            self.credentials
                .iter()
                .position(|c| c.rp_id == rp_id && allowed.contains(&c.id))
        }
        .unwrap_or_else(|| panic!("no credential of {rp_id} for {options}"));
        let challenge = pk["challenge"].as_str().expect("challenge").to_string();
        let flags = self.flags();
        let client_data = self.client_data("webauthn.get", &challenge);
        let cred = &mut self.credentials[index];
        cred.counter = cred.counter.wrapping_add(1);
        let mut auth_data = Vec::new();
        auth_data.extend(sha256(rp_id.as_bytes()));
        auth_data.push(flags);
        auth_data.extend(cred.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let signature: Signature = cred.key.sign(&signed);
        json!({
            "id": b64(&cred.id),
            "rawId": b64(&cred.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&cred.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}

#[cfg(test)]
mod tests {
    //! The authenticator against webauthn-rs itself, through Livret's ceremonies (no
    //! HTTP): if these pass, a failure in the page tests is the pages' fault.

    use super::*;
    use crate::support::App;
    use livret::domain::Subject;
    use livret::passkey::{self, PasskeyError};
    use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

    #[test]
    fn cbor_matches_rfc_8949_examples() {
        assert_eq!(Cbor::Int(0).encode(), [0x00]);
        assert_eq!(Cbor::Int(23).encode(), [0x17]);
        assert_eq!(Cbor::Int(24).encode(), [0x18, 0x18]);
        assert_eq!(Cbor::Int(1000).encode(), [0x19, 0x03, 0xe8]);
        assert_eq!(Cbor::Int(-1).encode(), [0x20]);
        assert_eq!(Cbor::Int(-7).encode(), [0x26]);
        assert_eq!(Cbor::Int(-100).encode(), [0x38, 0x63]);
        assert_eq!(Cbor::Text("a".into()).encode(), [0x61, 0x61]);
        assert_eq!(Cbor::Bytes(vec![1, 2, 3, 4]).encode(), [0x44, 1, 2, 3, 4]);
        assert_eq!(
            Cbor::Map(vec![
                (Cbor::Int(1), Cbor::Int(2)),
                (Cbor::Int(3), Cbor::Int(4))
            ])
            .encode(),
            [0xa2, 0x01, 0x02, 0x03, 0x04]
        );
        assert_eq!(Cbor::Bytes(vec![0; 300]).encode()[..3], [0x59, 0x01, 0x2c]);
    }

    async fn register(app: &App, auth: &mut SoftAuthenticator, subject: Subject) {
        let s = &app.state;
        let (secret, options) =
            passkey::start_registration(&s.webauthn, &s.store, &s.clock, subject, "Maël")
                .await
                .unwrap();
        let answer = auth.register(&serde_json::to_value(&options).unwrap());
        let answer: RegisterPublicKeyCredential = serde_json::from_value(answer).unwrap();
        passkey::finish_registration(
            &s.webauthn,
            &s.store,
            &s.clock,
            &secret,
            subject,
            &answer,
            "Téléphone",
        )
        .await
        .unwrap();
    }

    async fn sign_in(
        app: &App,
        auth: &mut SoftAuthenticator,
        who: Option<Subject>,
    ) -> Result<Subject, PasskeyError> {
        let s = &app.state;
        let who = who.map_or(passkey::SignInFor::Anyone, |person| {
            passkey::SignInFor::Named {
                email: "x@exemple.invalid",
                person: Some(person),
            }
        });
        let (secret, options) = passkey::start_sign_in(&s.webauthn, &s.store, &s.clock, who)
            .await
            .unwrap();
        let answer = auth.sign_in(&serde_json::to_value(&options).unwrap());
        let answer: PublicKeyCredential = serde_json::from_value(answer).unwrap();
        passkey::finish_sign_in(&s.webauthn, &s.store, &s.clock, &secret, &answer, |_, _| {
            Ok(())
        })
        .await
        .map(|(subject, _)| subject)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webauthn_rs_accepts_its_registrations_and_sign_ins() {
        let app = App::start().await;
        let mael = Subject::Student(app.w.mael);
        let mut auth = SoftAuthenticator::new(&app.base);
        register(&app, &mut auth, mael).await;
        let stored = app.state.store.passkeys_of(&mael).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(b64(&stored[0].credential_id), auth.credential_ids()[0]);

        // Discoverable, then user-name first; the counter moves on each time.
        assert_eq!(sign_in(&app, &mut auth, None).await.unwrap(), mael);
        assert_eq!(sign_in(&app, &mut auth, Some(mael)).await.unwrap(), mael);
        assert!(
            app.state.store.passkeys_of(&mael).unwrap()[0]
                .passkey_json
                .contains("\"counter\":2"),
            "the counter is written back"
        );

        // A second registration on the same device is excluded, as a browser does.
        let s = &app.state;
        let (_, options) = passkey::start_registration(&s.webauthn, &s.store, &s.clock, mael, "M")
            .await
            .unwrap();
        assert_eq!(
            auth.try_register(&serde_json::to_value(&options).unwrap())
                .err(),
            Some("InvalidStateError")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webauthn_rs_refuses_what_the_rules_forbid() {
        let app = App::start().await;
        let mael = Subject::Student(app.w.mael);
        let mut auth = SoftAuthenticator::new(&app.base);
        register(&app, &mut auth, mael).await;
        assert!(sign_in(&app, &mut auth, None).await.is_ok());

        // A counter that goes back (a cloned key).
        auth.set_counter(0);
        assert!(matches!(
            sign_in(&app, &mut auth, None).await,
            Err(PasskeyError::Refused(_))
        ));
        auth.set_counter(10);
        assert!(sign_in(&app, &mut auth, None).await.is_ok());

        // Another origin (a phishing page relaying the challenge).
        let mut phishing = auth.with_origin("http://livret.example.net");
        assert!(matches!(
            sign_in(&app, &mut phishing, None).await,
            Err(PasskeyError::Refused(_))
        ));

        // No user verification.
        auth.set_user_verified(false);
        assert!(matches!(
            sign_in(&app, &mut auth, None).await,
            Err(PasskeyError::Refused(_))
        ));
        auth.set_user_verified(true);
        assert!(sign_in(&app, &mut auth, None).await.is_ok());
    }
}
