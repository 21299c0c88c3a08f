//! The gateway's pipeline on one request, step by step: the verdict is always
//! [`Gateway::handle`]'s own; the trace mirrors it to say where and why.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::Rejection;
use crate::event::rfc3339_from_ms;
use crate::forward;
use crate::gateway::{self, Decision, Gateway};
use crate::providers::{Auth, Check, Reply};
use crate::request::Request;
use crate::verify::{self, CryptoBackend, DecryptCheck, MacCheck, RustCrypto};

use super::encoding::detect_encoding;
use super::hints::{config_hints, failure_hints};
use super::input::{build_request, config_in, parse_input, Config, RequestIn};
use super::output::{
    Bytes, DecryptOut, ErrorOut, Explanation, ForwardOut, KeyOut, MacOut, ReplyOut, Step, TimeOut,
};
use super::ApiError;

pub(super) fn explain_value(input: &str) -> Result<Explanation, ApiError> {
    let v = parse_input(input, &["request", "now_ms"])?;
    let cfg = Config::from_input(&config_in(&v)?)?;
    let req_in: RequestIn = match v.get("request") {
        Some(r) => serde_json::from_value(r.clone())
            .map_err(|e| ApiError::input(format!("request: {e}")))?,
        None => return Err(ApiError::input("request is required")),
    };
    let now_ms: i64 = match v.get("now_ms") {
        Some(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or_else(|| ApiError::input("now_ms must be Unix milliseconds"))?,
        None => {
            return Err(ApiError::input(
                "now_ms is required (the core never reads the clock)",
            ))
        }
    };
    let default_path = cfg
        .routes
        .first()
        .and_then(|r| r.get("path"))
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let req = build_request(&req_in, now_ms, &default_path)?;
    Ok(explain(&cfg, req, &RustCrypto))
}

pub(super) fn explain(cfg: &Config, mut req: Request, crypto: &dyn CryptoBackend) -> Explanation {
    let mut x = Explanation {
        verdict: "invalid",
        error: None,
        response: ReplyOut {
            status: 0,
            content_type: String::new(),
            body: String::new(),
        },
        provider: None,
        route: None,
        now_ms: req.now_ms,
        steps: Vec::new(),
        hints: Vec::new(),
        key: None,
        event: None,
        event_json: None,
        ack: None,
        forward: None,
        plaintext: None,
    };
    let gw = match cfg.gateway() {
        Ok(g) => g,
        Err(e) => {
            let r = Rejection::ConfigInvalid(e.to_string());
            x.steps.push(
                Step::new("config", "Route config", "fail", e.to_string())
                    .field("where", e.at.clone())
                    .field("problem", e.reason.clone()),
            );
            x.hints = config_hints(cfg, &e, &req, crypto);
            x.error = Some(ErrorOut::from(&r));
            x.response = ReplyOut::from(&Reply::rejection(&r));
            return x;
        }
    };
    // Lenient where the gateway is strict only about *which* route: with one route, a
    // request captured on another path is explained against it (and the step says so).
    let mut route_note = None;
    if gw.route(&req.path).is_none() {
        if let [only] = gw.routes() {
            route_note = Some(format!(
                "the request's path {} is not this route's; explained against the only route {}",
                req.path, only.spec.path
            ));
            req.path = only.spec.path.clone();
        }
    }
    let decision = gw.handle(&req, crypto);
    trace(&mut x, &gw, &req, route_note, crypto);
    match &decision {
        Decision::Accept { ack, delivery, key } => {
            x.verdict = "valid";
            x.key = Some(key.clone());
            x.ack = Some(ReplyOut::from(ack));
            x.event = RawValue::from_string(delivery.event.to_string()).ok();
            x.event_json = Some(delivery.event.to_string());
            let origin_key = gw
                .route(&req.path)
                .and_then(|r| r.origin_key.as_ref())
                .map(|k| k.0.as_slice());
            let f = forward::build(delivery, None, origin_key, req.now_s(), crypto);
            x.forward = Some(ForwardOut {
                url: f.url,
                headers: f.headers,
                body: Bytes::of(&f.body),
            });
        }
        Decision::Handshake(_) => x.verdict = "handshake",
        Decision::Reject(r) => {
            x.verdict = "invalid";
            x.error = Some(ErrorOut::from(r));
            x.hints = failure_hints(cfg, &gw, &req, r, crypto);
        }
    }
    x.response = ReplyOut::from(&decision.reply());
    x
}

/// Records the pipeline's steps, mirroring `Gateway::try_handle` in order.
fn trace(
    x: &mut Explanation,
    gw: &Gateway,
    req: &Request,
    route_note: Option<String>,
    crypto: &dyn CryptoBackend,
) {
    let Some(route) = gw.route(&req.path) else {
        let paths: Vec<&str> = gw.routes().iter().map(|r| r.spec.path.as_str()).collect();
        x.steps.push(
            Step::new(
                "route",
                "Route",
                "fail",
                format!("no route for {}", req.path),
            )
            .field("configured paths", paths.join(", ")),
        );
        return;
    };
    let provider = route.provider.as_ref();
    x.provider = Some(provider.name().into());
    x.route = Some(route.spec.path.clone());
    let mut step = Step::new(
        "route",
        "Route",
        "ok",
        format!("{} → provider {}", route.spec.path, provider.name()),
    )
    .field("path", route.spec.path.clone())
    .field("provider", provider.name())
    .field("forward", route.spec.forward.as_str())
    .field("origin", route.spec.origin.clone());
    if let Some(n) = route_note {
        step = step.field("note", n);
    }
    x.steps.push(step);

    // Request shape, in the gateway's order: header limits, method, body size, media type.
    let header_bytes: usize = req.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    let media = req.media_type();
    let accepted = provider.media_types();
    let mut step = Step::new("request", "Request", "ok", "")
        .field("method", req.method.clone())
        .field(
            "headers",
            format!("{} ({} bytes)", req.headers.len(), header_bytes),
        )
        .field(
            "body",
            format!("{} bytes (limit {})", req.body.len(), route.max_body()),
        )
        .field(
            "media type",
            if media.is_empty() {
                "(none: tolerated)".to_owned()
            } else {
                media.clone()
            },
        )
        .field("provider sends", accepted.join(", "));
    let shape =
        if req.headers.len() > gateway::MAX_HEADERS || header_bytes > gateway::MAX_HEADER_BYTES {
            Err("headers exceed the gateway's limits".to_owned())
        } else if req.method != "POST" {
            Ok(false)
        } else if req.body.len() > route.max_body() {
            Err(format!(
                "body is larger than the route's limit of {} bytes",
                route.max_body()
            ))
        } else if !media.is_empty() && !accepted.contains(&media.as_str()) {
            Err(format!(
                "content type {media} is not one this provider sends"
            ))
        } else {
            Ok(true)
        };
    match shape {
        Err(why) => {
            step.status = "fail";
            step.summary = why;
            x.steps.push(step);
            return;
        }
        Ok(false) => {
            step.summary = format!("{}: not an event POST", req.method);
            x.steps.push(step);
            let hs = provider.handshake(req);
            let s = match (&hs, req.method.as_str()) {
                (Some(Ok(r)), "GET" | "HEAD") => Step::new(
                    "handshake",
                    "Endpoint verification",
                    "ok",
                    format!("answered with {} {}", r.status, r.content_type),
                )
                .field("body", r.body.clone()),
                (Some(Err(e)), "GET" | "HEAD") => {
                    Step::new("handshake", "Endpoint verification", "fail", e.to_string())
                }
                _ => Step::new(
                    "handshake",
                    "Endpoint verification",
                    "fail",
                    format!("{} is not accepted on this route", req.method),
                ),
            };
            x.steps.push(s);
            return;
        }
        Ok(true) => {
            step.summary = format!("POST, {} bytes", req.body.len());
            x.steps.push(step);
        }
    }

    let auth = match provider.authenticate(req) {
        Ok(a) => a,
        Err(e) => {
            x.steps.push(Step::new(
                "headers",
                "Signature material",
                "fail",
                e.to_string(),
            ));
            return;
        }
    };
    let mut step = Step::new(
        "headers",
        "Signature material",
        "ok",
        format!("read {} value(s)", auth.parsed.len()),
    );
    step.fields = auth.parsed.clone();
    x.steps.push(step);

    let (ok, payload) = match &auth.check {
        Check::Mac(mac) => (trace_mac(x, &auth, mac, crypto), None),
        Check::Decrypt(d) => match trace_decrypt(x, &auth, d, crypto) {
            Some(p) => (true, Some(p)),
            None => (false, None),
        },
    };

    if let Some(ts) = auth.signed_at {
        let tol = provider.tolerance_s();
        let now_s = req.now_s();
        let within = verify::check_tolerance(ts, now_s, tol).is_ok();
        let age = now_s.saturating_sub(ts);
        let status = match (ok, within) {
            (false, _) => "info",
            (true, true) => "ok",
            (true, false) => "fail",
        };
        let summary = format!(
            "{} {} (tolerance {tol} s){}",
            human_duration(age.unsigned_abs()),
            if age >= 0 { "old" } else { "in the future" },
            if ok {
                ""
            } else {
                ": not checked, the signature failed first"
            }
        );
        let mut s = Step::new("timestamp", "Timestamp", status, summary);
        s.timestamp = Some(TimeOut {
            signed_at: ts,
            signed_at_iso: chrono::DateTime::from_timestamp(ts, 0)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_else(|| rfc3339_from_ms(ts.saturating_mul(1000))),
            now_s,
            now_iso: rfc3339_from_ms(req.now_ms),
            age_s: age,
            tolerance_s: tol,
            within,
            checked: ok,
        });
        x.steps.push(s);
        if !within && ok {
            return;
        }
    }
    if !ok {
        return;
    }
    let body = payload.as_deref().unwrap_or(&req.body);
    match provider.accept(body, req) {
        Ok(a) => {
            let d = &a.draft.data;
            let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "null".into());
            x.steps.push(
                Step::new(
                    "normalize",
                    "Normalize",
                    "ok",
                    format!(
                        "payment.{} ({})",
                        d.status.as_str(),
                        opt(&d.provider_event_type)
                    ),
                )
                .field(
                    "event id",
                    a.draft
                        .id
                        .clone()
                        .unwrap_or_else(|| "(stable hash of the payload)".into()),
                )
                .field("status", d.status.as_str())
                .field("payment_id", opt(&d.payment_id))
                .field("merchant_reference", opt(&d.merchant_reference))
                .field(
                    "amount_minor",
                    d.amount_minor
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "null".into()),
                )
                .field("currency", opt(&d.currency))
                .field("method", opt(&d.method))
                .field("ack", format!("{} {}", a.ack.status, a.ack.body)),
            );
        }
        Err(e) => x
            .steps
            .push(Step::new("normalize", "Normalize", "fail", e.to_string())),
    }
}

fn trace_mac(
    x: &mut Explanation,
    auth: &Auth<'_>,
    mac: &MacCheck<'_>,
    crypto: &dyn CryptoBackend,
) -> bool {
    let enc = detect_encoding(&mac.received, &auth.parsed);
    let matched = mac.verify(crypto).ok();
    let computed: Vec<KeyOut> = mac
        .computed(crypto)
        .into_iter()
        .enumerate()
        .map(|(i, c)| KeyOut {
            label: label_of(auth, i),
            matched: mac.received.iter().any(|r| r == &c),
            signature: enc.encode(&c),
        })
        .collect();
    let summary = match matched {
        Some(i) => format!(
            "{} matches with key {}",
            mac.algorithm.name(),
            label_of(auth, i)
        ),
        None => format!(
            "{}: no configured key produces a received signature",
            mac.algorithm.name()
        ),
    };
    let mut s = Step::new(
        "signature",
        "Signature",
        if matched.is_some() { "ok" } else { "fail" },
        summary,
    );
    s.mac = Some(MacOut {
        algorithm: mac.algorithm.name(),
        encoding: enc.name(),
        content: Bytes::of(&mac.content_bytes()),
        append_key: mac.append_key,
        received: mac.received.iter().map(|r| enc.encode(r)).collect(),
        computed,
        matched,
    });
    x.steps.push(s);
    matched.is_some()
}

fn trace_decrypt(
    x: &mut Explanation,
    auth: &Auth<'_>,
    d: &DecryptCheck<'_>,
    crypto: &dyn CryptoBackend,
) -> Option<Vec<u8>> {
    let result = d.decrypt(crypto).ok();
    let summary = match &result {
        Some((i, p)) => format!(
            "AES-256-GCM: opened with key {} ({} bytes of plaintext)",
            label_of(auth, *i),
            p.len()
        ),
        None => "AES-256-GCM: no configured key opens it (the tag does not verify)".into(),
    };
    let mut s = Step::new(
        "decrypt",
        "Decryption",
        if result.is_some() { "ok" } else { "fail" },
        summary,
    );
    s.decrypt = Some(DecryptOut {
        iv_length: d.iv.len(),
        tag_length: d.tag.len(),
        ciphertext_length: d.ciphertext.len(),
        keys: d
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (label_of(auth, i), k.len()))
            .collect(),
        matched: result.as_ref().map(|(i, _)| *i),
    });
    x.steps.push(s);
    let (_, plain) = result?;
    x.plaintext = Some(Bytes::of(&plain));
    Some(plain)
}

pub(super) fn label_of(auth: &Auth<'_>, i: usize) -> String {
    auth.key_labels
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("#{}", i + 1))
}

pub(super) fn human_duration(s: u64) -> String {
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min {} s", s / 60, s % 60),
        7200..=172_799 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} days", s / 86_400),
    }
}
