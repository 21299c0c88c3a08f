//! The provider shared by schemes whose only differences are a [`Layout`] and a payload
//! mapping: Stripe, FedaPay and Everifin all send one header with a timestamp and hex
//! HMAC-SHA-256 signatures of `"<timestamp>.<raw body>"`, keyed with plain secrets (one per
//! line, any may match), a JSON body and accept any 2xx. Each of their modules declares a
//! [`Scheme`] and its status mapping; secrets, verification, signing, tolerance and the ack
//! live here once.

use serde_json::value::RawValue;

use crate::config::{ConfigError, RouteSpec, Secrets};
use crate::error::Rejection;
use crate::event::{raw_checked, stable_id, Draft};
use crate::json::{self, Scalar};
use crate::providers::{ok_ack, Accepted, Auth, Check, Provider, SignInput, Signed};
use crate::request::Request;
use crate::verify::stamped::Layout;
use crate::verify::CryptoBackend;

/// One provider's description.
#[derive(Debug)]
pub struct Scheme {
    /// The registry name.
    pub name: &'static str,
    /// The signature header.
    pub layout: Layout,
    /// Prefixes of the provider's API keys. Pasting an API key instead of the webhook
    /// secret is the usual mistake, and it would fail every request: refuse it at config.
    pub api_key_prefixes: &'static [&'static str],
    /// The config error for such a key: where the right secret is found.
    pub api_key_hint: &'static str,
    /// Whether a signed body field or the secret's label tells live from test (Stripe's
    /// `livemode`; FedaPay's `wh_live_`/`wh_sandbox_` secrets).
    pub tells_livemode: bool,
    /// Prefixes of live and of test webhook secrets, where the provider labels them.
    pub livemode_prefixes: Option<(&'static str, &'static str)>,
    /// Maps the authenticated payload (read with [`read`]) to the normalized fields, `raw`
    /// being the payload verbatim. An id left `None` becomes the payload's stable hash. An
    /// authentic event the gateway cannot take on the provider's terms is refused here.
    pub normalize: fn(&[u8]) -> Result<Draft, Rejection>,
}

/// Reads a payload for a [`Scheme`]'s mapping: strictly checked, a JSON object, the values at
/// `pointers` ([`json::pick`]), and the payload verbatim for `data.raw`.
pub fn read<'a, const N: usize>(
    payload: &'a [u8],
    pointers: [&str; N],
) -> Result<([Scalar<'a>; N], Box<RawValue>), Rejection> {
    let (text, values) = json::pick(payload, pointers)?;
    if !json::is_object(text) {
        return Err(Rejection::MalformedBody("expected a JSON object".into()));
    }
    Ok((values, raw_checked(text)))
}

/// A configured route of a [`Scheme`]. `Debug` shows how many secrets, never them.
pub struct Stamped {
    scheme: &'static Scheme,
    secrets: Vec<String>,
    tolerance_s: u64,
}

impl std::fmt::Debug for Stamped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {{ secrets: {} [redacted], tolerance_s: {} }}",
            self.scheme.name,
            self.secrets.len(),
            self.tolerance_s
        )
    }
}

/// Builds a route of `scheme` from its `secrets` bindings (used as-is, one per line) and
/// `tolerance_s`.
pub fn configure(
    scheme: &'static Scheme,
    spec: &RouteSpec,
    secrets: &Secrets,
) -> Result<Box<dyn Provider>, ConfigError> {
    let lines = secrets.resolve("secrets", &spec.secrets, true)?;
    let prefixes = scheme.api_key_prefixes;
    if lines
        .iter()
        .any(|l| prefixes.iter().any(|p| l.starts_with(p)))
    {
        return Err(ConfigError::new(secrets.at("secrets"), scheme.api_key_hint));
    }
    Ok(Box::new(Stamped {
        scheme,
        secrets: lines,
        tolerance_s: spec.tolerance(),
    }))
}

impl Provider for Stamped {
    fn name(&self) -> &'static str {
        self.scheme.name
    }

    fn headers(&self) -> Vec<&'static str> {
        vec![self.scheme.layout.header]
    }

    fn media_types(&self) -> &'static [&'static str] {
        &["application/json"]
    }

    fn authenticate<'a>(&'a self, req: &'a Request) -> Result<Auth<'a>, Rejection> {
        let layout = &self.scheme.layout;
        let stamp = layout.read(req.required(layout.header)?, &req.body, &self.secrets)?;
        Ok(Auth {
            check: Check::Mac(stamp.check),
            signed_at: Some(stamp.signed_at),
            key_labels: (0..self.secrets.len())
                .map(|i| format!("secret#{i}"))
                .collect(),
            parsed: stamp.parsed,
        })
    }

    fn sign(&self, input: &SignInput<'_>, crypto: &dyn CryptoBackend) -> Result<Signed, Rejection> {
        let layout = &self.scheme.layout;
        let secret = self.secrets.first().ok_or(Rejection::SignatureMismatch)?;
        Ok(Signed {
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    layout.header.into(),
                    layout.header_value(crypto, secret, input.now_s, input.payload),
                ),
            ],
            body: input.payload.to_vec(),
        })
    }

    fn accept(&self, payload: &[u8], _req: &Request) -> Result<Accepted, Rejection> {
        let mut draft = (self.scheme.normalize)(payload)?;
        // Bodies without an id (FedaPay's often, Everifin's never per the docs) are still
        // authentic; the gateway gives them the same stable id, so retries dedup.
        let id = draft
            .id
            .get_or_insert_with(|| stable_id(self.scheme.name, payload))
            .clone();
        Ok(Accepted {
            raw_forward: None,
            draft,
            ack: ok_ack(&id),
        })
    }

    fn tolerance_s(&self) -> u64 {
        self.tolerance_s
    }

    fn resign(
        &self,
        key_index: usize,
        req: &Request,
        crypto: &dyn CryptoBackend,
    ) -> Option<Vec<(String, String)>> {
        let layout = &self.scheme.layout;
        let secret = self.secrets.get(key_index)?;
        Some(vec![(
            layout.header.to_owned(),
            layout.header_value(crypto, secret, req.now_s(), &req.body),
        )])
    }

    fn tells_livemode(&self) -> bool {
        self.scheme.tells_livemode
    }

    fn key_livemode(&self, key_index: usize) -> Option<bool> {
        let (live, test) = self.scheme.livemode_prefixes?;
        let secret = self.secrets.get(key_index)?;
        if secret.starts_with(live) {
            Some(true)
        } else if secret.starts_with(test) {
            Some(false)
        } else {
            None
        }
    }
}
