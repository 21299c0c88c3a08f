//! Routes and secrets: parsed once, validated completely, explained precisely.
//!
//! A broken config must fail closed and say exactly what to fix (`routes[2].secrets: ...`),
//! because the alternative is a gateway that silently drops a provider's events.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

/// How events are forwarded to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardMode {
    /// CloudEvents 1.0 structured JSON (default).
    #[default]
    Cloudevents,
    /// The verified (and decrypted) original body with its content type.
    Raw,
    /// Flat `application/x-www-form-urlencoded` normalized fields.
    Form,
    /// The provider's request as received (body bytes, its signature and content headers),
    /// plus edgehook's headers, for shop plugins that verify the provider's signature.
    Passthrough,
}

impl ForwardMode {
    /// The config spelling: `cloudevents`, `raw` or `form`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloudevents => "cloudevents",
            Self::Raw => "raw",
            Self::Form => "form",
            Self::Passthrough => "passthrough",
        }
    }
}

/// Default replay tolerance for timestamped schemes.
pub const DEFAULT_TOLERANCE_S: u64 = 300;
/// Default body size limit.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// Default origin request timeout.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Delivery attempts of the exponential schedule (`retry_base_s`/`retry_max_s`), which a
/// route uses only when it sets one of `max_retries`, `retry_base_s` or `retry_max_s`.
pub const DEFAULT_MAX_RETRIES: u32 = 8;
/// First delay of the exponential schedule.
pub const DEFAULT_RETRY_BASE_S: u32 = 10;
/// Delay cap of the exponential schedule (one hour).
pub const DEFAULT_RETRY_MAX_S: u32 = 3600;
/// The default retry schedule: the delay (seconds) before each retry, Svix's shape
/// (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): 8 attempts over ~27.6 h, so a shop down
/// for an afternoon or a night gets every event without a manual replay.
pub const DEFAULT_RETRY_SCHEDULE_S: &[u32] = &[5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// The longest delay a queue message may carry (Cloudflare Queues: `delaySeconds` up to
/// 24 h), which bounds every entry of a schedule.
pub const MAX_RETRY_DELAY_S: u32 = 86_400;
/// The most retries a schedule may list: each retry is a fresh queue message, so the
/// queue's own `max_retries` (at most 100) does not bound it, but a schedule this long
/// already spans months at the maximum delay.
pub const MAX_SCHEDULE_LEN: usize = 100;
/// The shortest default dedup window (7 days): covers Stripe's 3 days of retries and the
/// default schedule's horizon with room to spare.
pub const MIN_DEFAULT_DEDUP_TTL_S: u64 = 7 * 86_400;
/// KV's shortest `expirationTtl`.
pub const MIN_DEDUP_TTL_S: u64 = 60;
/// Path prefixes the gateway keeps for itself.
pub const RESERVED_PREFIXES: &[&str] = &["/__edgehook", "/__demo"];

/// One route as written in `EDGEHOOK_ROUTES`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// The URL path the provider posts to.
    pub path: String,
    /// Registry name of the provider.
    pub provider: String,
    /// Secret binding names; any configured secret may match (rotation).
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Lyra REST: bindings holding the HMAC-SHA-256 key (browser-return `kr-hash-key=sha256_hmac`).
    #[serde(default)]
    pub hmac_secrets: Vec<String>,
    /// Where events go: an absolute http(s) URL, or a path on this same worker.
    pub origin: String,
    /// Forward mode.
    #[serde(default)]
    pub forward: ForwardMode,
    /// Binding holding the `whsec_...` key that signs forwards.
    #[serde(default)]
    pub origin_secret: Option<String>,
    /// Replay tolerance (seconds) for timestamped schemes.
    #[serde(default)]
    pub tolerance_s: Option<u64>,
    /// Body size limit in bytes.
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// Origin request timeout in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Delivery attempts before the event is dead-lettered.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// First retry delay in seconds; doubles per attempt (jittered).
    #[serde(default)]
    pub retry_base_s: Option<u32>,
    /// Cap on the retry delay in seconds.
    #[serde(default)]
    pub retry_max_s: Option<u32>,
    /// The delay (seconds) before each retry, in order; the event is dead-lettered after
    /// the last. Exclusive with `max_retries`/`retry_base_s`/`retry_max_s`.
    #[serde(default)]
    pub retry_schedule_s: Option<Vec<u32>>,
    /// How long (seconds) an accepted event id is remembered to drop provider retries.
    #[serde(default)]
    pub dedup_ttl_s: Option<u64>,
    /// Allows forwarding inline, best effort (no retries), when no queue is bound. Without
    /// it a missing queue binding refuses events with a 503 (the provider retries).
    #[serde(default)]
    pub inline_delivery: bool,
    /// Attempts in flight at once to this route's origin (`scheme://host:port`).
    #[serde(default)]
    pub max_in_flight: Option<u32>,
    /// Attempts started per second to the origin (default: no rate cap).
    #[serde(default)]
    pub max_per_second: Option<u32>,
    /// Consecutive failures to the origin that open its circuit breaker (0: none).
    #[serde(default)]
    pub breaker_failures: Option<u32>,
    /// Seconds the breaker stays open before one probe.
    #[serde(default)]
    pub breaker_cooldown_s: Option<u32>,
    /// SIBS: `statusCode` in the ack (`"200"`, or `"000"` for the newer docs' dialect).
    #[serde(default)]
    pub ack_status_code: Option<String>,
    /// Lyra form: `hmac-sha256` (default) or the deprecated `sha1`.
    #[serde(default)]
    pub signature: Option<String>,
    /// Refuse test-mode events (403 `test_event_refused`): only for providers
    /// whose signed input tells test from live.
    #[serde(default)]
    pub live_only: bool,
    /// generic-hmac: the scheme description.
    #[serde(default)]
    pub scheme: Option<serde_json::Value>,
}

impl RouteSpec {
    /// The tolerance, defaulted.
    pub fn tolerance(&self) -> u64 {
        self.tolerance_s.unwrap_or(DEFAULT_TOLERANCE_S)
    }

    /// Whether the route asks for the exponential schedule (any of its three options).
    fn exponential(&self) -> bool {
        self.max_retries.is_some() || self.retry_base_s.is_some() || self.retry_max_s.is_some()
    }

    /// The retry schedule a delivery carries: the route's list, the default list, or empty
    /// for the exponential schedule (the delivery then carries its parameters).
    pub fn schedule(&self) -> Vec<u32> {
        match &self.retry_schedule_s {
            Some(s) => s.clone(),
            None if self.exponential() => Vec::new(),
            None => DEFAULT_RETRY_SCHEDULE_S.to_vec(),
        }
    }

    /// Seconds from the first attempt to the last (delays only; each attempt's own time
    /// adds at most `timeout_ms`).
    pub fn retry_horizon_s(&self) -> u64 {
        let schedule = self.schedule();
        if !schedule.is_empty() {
            return schedule.iter().map(|&d| u64::from(d)).sum();
        }
        let attempts = self.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        let base = u64::from(self.retry_base_s.unwrap_or(DEFAULT_RETRY_BASE_S));
        let cap = u64::from(self.retry_max_s.unwrap_or(DEFAULT_RETRY_MAX_S));
        (1..attempts)
            .map(|n| base.saturating_mul(1u64 << (n - 1).min(20)).min(cap))
            .sum::<u64>()
            * 6
            / 5
    }

    /// The origin gate's limits for this route's attempts.
    pub fn gate_limits(&self) -> crate::gate::Limits {
        use crate::gate;
        crate::gate::Limits {
            max_in_flight: self.max_in_flight.unwrap_or(gate::DEFAULT_MAX_IN_FLIGHT),
            max_per_second: self.max_per_second.unwrap_or(0),
            breaker_failures: self
                .breaker_failures
                .unwrap_or(gate::DEFAULT_BREAKER_FAILURES),
            breaker_cooldown_s: self
                .breaker_cooldown_s
                .unwrap_or(gate::DEFAULT_BREAKER_COOLDOWN_S),
            lease_ms: self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS) + 5000,
        }
    }

    /// The dedup window: as configured, else the longer of 7 days and the retry horizon
    /// plus a day (a provider retry after the last attempt must not start a second chain).
    pub fn dedup_ttl(&self) -> u64 {
        self.dedup_ttl_s.unwrap_or_else(|| {
            MIN_DEFAULT_DEDUP_TTL_S.max(self.retry_horizon_s().saturating_add(86_400))
        })
    }
}

/// A configuration error, located (`routes[1].origin`) and explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: `EDGEHOOK_ROUTES`, `routes[3]`, `routes[3].secrets`...
    pub at: String,
    /// What is wrong and, where possible, how to fix it.
    pub reason: String,
}

impl ConfigError {
    /// A located error.
    pub fn new(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            reason: reason.into(),
        }
    }
}

impl ConfigError {
    /// What a response may say: where the problem is, never what is configured there (the
    /// reason can quote configured values, even a secret pasted in the wrong place; it goes
    /// to the log, which the operator reads with `wrangler tail`).
    pub fn public(&self) -> String {
        format!(
            "at {} (the reason is in the worker's log: wrangler tail)",
            self.at
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Looks up a secret binding by name (`env.secret(name)` in the worker).
pub type Lookup<'l> = &'l dyn Fn(&str) -> Option<String>;

/// Secret resolution for one route: binding names to values, one secret per line.
pub struct Secrets<'l> {
    index: usize,
    lookup: Lookup<'l>,
}

impl<'l> Secrets<'l> {
    /// For route number `index`.
    pub fn new(index: usize, lookup: Lookup<'l>) -> Self {
        Self { index, lookup }
    }

    /// Where errors about `field` of this route point.
    pub fn at(&self, field: &str) -> String {
        format!("routes[{}].{}", self.index, field)
    }

    /// All non-empty lines of every binding named in `names`. A binding may carry several
    /// secrets, one per line, so a rotation is one `wrangler secret put`.
    pub fn resolve(
        &self,
        field: &str,
        names: &[String],
        required: bool,
    ) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .resolve_lines(field, names, required)?
            .into_iter()
            .map(|l| l.value)
            .collect())
    }

    /// The secrets of `names` as key bytes: every non-empty line decoded by `decode` (the
    /// provider's secret format: base64, `whsec_...`, hex; `None` when the line is not a
    /// valid key). A line that does not decode fails the route with an error that names
    /// the key as its label does in logs (`{label}{n}`: `SIBS key 2`, `secret #2`), the
    /// binding and the line within it, then `requirement`; never the secret.
    pub fn resolve_keys(
        &self,
        field: &str,
        names: &[String],
        label: &str,
        requirement: &str,
        decode: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, ConfigError> {
        self.resolve_lines(field, names, true)?
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                decode(&l.value).ok_or_else(|| {
                    ConfigError::new(
                        self.at(field),
                        format!(
                            "{label}{} (secret binding {}, line {}) {requirement}",
                            i + 1,
                            l.binding,
                            l.line
                        ),
                    )
                })
            })
            .collect()
    }

    fn resolve_lines<'n>(
        &self,
        field: &str,
        names: &'n [String],
        required: bool,
    ) -> Result<Vec<SecretLine<'n>>, ConfigError> {
        if names.is_empty() && required {
            return Err(ConfigError::new(
                self.at(field),
                "at least one secret binding name is required",
            ));
        }
        let mut out = Vec::new();
        for (j, name) in names.iter().enumerate() {
            let at = format!("{}[{j}]", self.at(field));
            let value = (self.lookup)(name).ok_or_else(|| {
                let reason = if is_binding_name(name) {
                    format!("secret binding {name} is not set (wrangler secret put {name}, or .dev.vars locally)")
                } else {
                    format!(
                        "the value at {at} is not a binding name: a route names secret bindings \
                         (A-Z, 0-9, _), and the secret itself goes in `wrangler secret put NAME`"
                    )
                };
                ConfigError::new(at.clone(), reason)
            })?;
            let before = out.len();
            out.extend(
                value
                    .lines()
                    .enumerate()
                    .map(|(i, l)| (i + 1, l.trim()))
                    .filter(|(_, l)| !l.is_empty())
                    .map(|(line, l)| SecretLine {
                        binding: binding_label(name),
                        line,
                        value: l.to_owned(),
                    }),
            );
            if out.len() == before {
                return Err(ConfigError::new(
                    at,
                    format!("secret binding {} is empty", binding_label(name)),
                ));
            }
        }
        Ok(out)
    }
}

/// A serde message with every double-quoted value replaced: `invalid type: string
/// "whsec_...", expected a sequence` would otherwise put a secret written as a string where a
/// list of binding names belongs into the log. Field names (quoted with backticks) stay.
fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut parts = msg.split('"');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let mut inside = true;
    for part in parts {
        out.push_str(if inside { "\"…\"" } else { part });
        inside = !inside;
    }
    out
}

/// Whether a configured name has the shape of a secret binding name (`DEMO_SIBS_KEY`):
/// only such a name is ever repeated in a log line, so a secret pasted where its binding's
/// name belongs (`"secrets": ["whsec_..."]`) is never written anywhere.
pub fn is_binding_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_uppercase())
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A binding's name for a log line, or a stand-in when it does not look like one.
pub fn binding_label(name: &str) -> &str {
    if is_binding_name(name) {
        name
    } else {
        "(a value that is not a binding name)"
    }
}

/// One secret: a non-empty line of a binding.
struct SecretLine<'n> {
    /// The binding's name, or a stand-in ([`binding_label`]).
    binding: &'n str,
    /// 1-based, counting blank lines, as an editor shows it.
    line: usize,
    value: String,
}

/// Parses the `EDGEHOOK_ROUTES` JSON text into route specs, with field-level errors.
/// `providers` are the names a route may use (the registry's, passed in so that the
/// configuration knows nothing of the provider modules that depend on it).
pub fn parse_routes(json: &str, providers: &[&str]) -> Result<Vec<RouteSpec>, ConfigError> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        ConfigError::new(
            "EDGEHOOK_ROUTES",
            format!("must be a JSON array of route objects ({e})"),
        )
    })?;
    if values.is_empty() {
        return Err(ConfigError::new(
            "EDGEHOOK_ROUTES",
            "no routes are configured",
        ));
    }
    let mut specs = Vec::with_capacity(values.len());
    for (i, v) in values.into_iter().enumerate() {
        let spec: RouteSpec = serde_json::from_value(v)
            .map_err(|e| ConfigError::new(format!("routes[{i}]"), redact_quoted(&e.to_string())))?;
        validate_spec(i, &spec, providers)?;
        specs.push(spec);
    }
    // The smallest repeated path (what a sorted scan finds first), named at its last route.
    // A set, not a sort: `sort_unstable` would link a sort for `&str` into the wasm.
    let mut seen = HashSet::new();
    let dup = specs
        .iter()
        .map(|s| &s.path)
        .filter(|p| !seen.insert(String::clone(p)))
        .min();
    if let Some(dup) = dup {
        let i = specs
            .iter()
            .rposition(|s| s.path == *dup)
            .unwrap_or_default();
        return Err(ConfigError::new(
            format!("routes[{i}].path"),
            format!("duplicate path {dup}"),
        ));
    }
    Ok(specs)
}

fn validate_spec(i: usize, s: &RouteSpec, providers: &[&str]) -> Result<(), ConfigError> {
    let at = |f: &str| format!("routes[{i}].{f}");
    if !s.path.starts_with('/')
        || s.path.len() < 2
        || s.path
            .chars()
            .any(|c| c.is_whitespace() || c == '?' || c == '#')
    {
        return Err(ConfigError::new(
            at("path"),
            "must start with / and contain no spaces, ? or #",
        ));
    }
    if s.path.split('/').any(|seg| seg == ".." || seg == ".")
        || s.path.contains("//")
        || s.path.contains('%')
    {
        return Err(ConfigError::new(
            at("path"),
            "must be a plain path (no dot segments, // or percent-escapes)",
        ));
    }
    if RESERVED_PREFIXES.iter().any(|p| s.path.starts_with(p)) {
        return Err(ConfigError::new(
            at("path"),
            "paths under /__edgehook and /__demo are reserved",
        ));
    }
    let origin_ok = s.origin.starts_with("https://") && s.origin.len() > 8
        || s.origin.starts_with("http://") && s.origin.len() > 7
        || s.origin.starts_with('/');
    if !origin_ok || s.origin.chars().any(char::is_whitespace) {
        return Err(ConfigError::new(
            at("origin"),
            "must be an http(s) URL or a path on this worker",
        ));
    }
    if s.max_body_bytes == Some(0) {
        return Err(ConfigError::new(at("max_body_bytes"), "must be positive"));
    }
    if s.retry_max_s.is_some_and(|m| m > MAX_RETRY_DELAY_S) {
        return Err(ConfigError::new(
            at("retry_max_s"),
            format!("must be at most {MAX_RETRY_DELAY_S} (the queue's delay limit)"),
        ));
    }
    if let Some(schedule) = &s.retry_schedule_s {
        if s.exponential() {
            return Err(ConfigError::new(
                at("retry_schedule_s"),
                "replaces max_retries, retry_base_s and retry_max_s: set one or the other",
            ));
        }
        if schedule.len() > MAX_SCHEDULE_LEN {
            return Err(ConfigError::new(
                at("retry_schedule_s"),
                format!("lists at most {MAX_SCHEDULE_LEN} retries"),
            ));
        }
        if let Some(j) = schedule.iter().position(|&d| d > MAX_RETRY_DELAY_S) {
            return Err(ConfigError::new(
                at(&format!("retry_schedule_s[{j}]")),
                format!("must be at most {MAX_RETRY_DELAY_S} (the queue's delay limit)"),
            ));
        }
    }
    if s.max_in_flight == Some(0) {
        return Err(ConfigError::new(at("max_in_flight"), "must be positive"));
    }
    if s.breaker_cooldown_s
        .is_some_and(|c| c == 0 || c > MAX_RETRY_DELAY_S)
    {
        return Err(ConfigError::new(
            at("breaker_cooldown_s"),
            format!("must be between 1 and {MAX_RETRY_DELAY_S}"),
        ));
    }
    if s.dedup_ttl_s.is_some_and(|t| t < MIN_DEDUP_TTL_S) {
        return Err(ConfigError::new(
            at("dedup_ttl_s"),
            format!("must be at least {MIN_DEDUP_TTL_S} (KV's shortest expiration)"),
        ));
    }
    if s.timeout_ms == Some(0) {
        return Err(ConfigError::new(at("timeout_ms"), "must be positive"));
    }
    // Provider-specific options on another provider are a typo or a copy-paste slip:
    // refuse them rather than silently ignore them.
    let specific: [(&str, bool, &str); 4] = [
        ("hmac_secrets", !s.hmac_secrets.is_empty(), "lyra-rest"),
        ("ack_status_code", s.ack_status_code.is_some(), "sibs"),
        ("signature", s.signature.is_some(), "lyra-form"),
        ("scheme", s.scheme.is_some(), "generic-hmac"),
    ];
    for (field, present, provider) in specific {
        if present && s.provider != provider {
            return Err(ConfigError::new(
                at(field),
                format!("only applies to provider {provider}"),
            ));
        }
    }
    if !providers.contains(&s.provider.as_str()) {
        return Err(ConfigError::new(
            at("provider"),
            format!(
                "unknown provider {:?} (known: {})",
                s.provider,
                providers.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The registry's names as the gateway passes them (the schema test below and
    /// `providers::tests::registry_matches_the_config_tests_and_schema` keep the three
    /// lists equal).
    pub(crate) const PROVIDERS: &[&str] = &[
        "worldline",
        "sibs",
        "lyra-rest",
        "lyra-form",
        "standard-webhooks",
        "generic-hmac",
        "everifin",
        "fedapay",
        "stripe",
    ];

    fn parse_routes(json: &str) -> Result<Vec<RouteSpec>, ConfigError> {
        super::parse_routes(json, PROVIDERS)
    }

    fn route(extra: &str) -> String {
        format!(
            r#"[{{"path":"/h","provider":"worldline","secrets":["S"],"origin":"https://o.example/x"{extra}}}]"#
        )
    }

    #[test]
    fn parses_minimal_route() {
        let specs = parse_routes(&route("")).expect("valid");
        assert_eq!(specs[0].forward, ForwardMode::Cloudevents);
        assert_eq!(specs[0].tolerance(), 300);
    }

    #[test]
    fn forward_mode_as_str_is_the_config_spelling() {
        for m in [
            ForwardMode::Cloudevents,
            ForwardMode::Raw,
            ForwardMode::Form,
            ForwardMode::Passthrough,
        ] {
            let json = serde_json::to_string(&m).expect("serializes");
            assert_eq!(json, format!("\"{}\"", m.as_str()));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_routes(&route(r#","forward":"xml""#)).expect_err("bad forward");
        assert_eq!(e.at, "routes[0]");
        assert!(e.reason.contains("xml"), "{e}");
        let e = parse_routes(&route(r#","bogus":1"#)).expect_err("unknown field");
        assert!(e.reason.contains("bogus"), "{e}");
        let e = parse_routes(r#"[{"path":"/h","provider":"nope","origin":"/x"}]"#)
            .expect_err("provider");
        assert_eq!(e.at, "routes[0].provider");
        let e = parse_routes(r#"[{"path":"h","provider":"worldline","origin":"/x"}]"#)
            .expect_err("path");
        assert_eq!(e.at, "routes[0].path");
        let e = parse_routes(r#"[{"path":"/h","provider":"worldline","origin":"ftp://x"}]"#)
            .expect_err("origin");
        assert_eq!(e.at, "routes[0].origin");
        let e = parse_routes("{}").expect_err("not array");
        assert_eq!(e.at, "EDGEHOOK_ROUTES");
        let e = parse_routes("[]").expect_err("empty");
        assert_eq!(e.at, "EDGEHOOK_ROUTES");
    }

    #[test]
    fn parse_errors_do_not_quote_values() {
        let e = parse_routes(
            r#"[{"path":"/h","provider":"worldline","secrets":"whsec_c2VjcmV0","origin":"/x"}]"#,
        )
        .expect_err("a string, not a list");
        assert_eq!(e.at, "routes[0]");
        assert!(!e.to_string().contains("whsec"), "{e}");
        assert!(e.reason.contains("expected a sequence"), "{e}");
        assert_eq!(redact_quoted(r#"a "b" c "d"#), r#"a "…" c "…""#);
    }

    #[test]
    fn provider_specific_options_stay_on_their_provider() {
        let e = parse_routes(&route(r#","scheme":{}"#)).expect_err("scheme on worldline");
        assert_eq!(e.at, "routes[0].scheme");
        let e = parse_routes(&route(r#","ack_status_code":"000""#)).expect_err("sibs option");
        assert_eq!(e.at, "routes[0].ack_status_code");
    }

    /// The shipped JSON Schema and the parser must agree on the providers and fields.
    #[test]
    fn schema_matches_parser() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/edgehook.schema.json"))
                .expect("schema");
        let schema: serde_json::Value = serde_json::from_str(&text).expect("json");
        let route = &schema["$defs"]["route"]["properties"];
        let mut names: Vec<&str> = route["provider"]["enum"]
            .as_array()
            .expect("enum")
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let mut registry = PROVIDERS.to_vec();
        names.sort_unstable();
        registry.sort_unstable();
        assert_eq!(
            names, registry,
            "schema provider enum vs the provider names"
        );
        let fields: Vec<&str> = route
            .as_object()
            .expect("props")
            .keys()
            .map(String::as_str)
            .collect();
        let all = r#"{"path":"/p","provider":"worldline","origin":"/o","secrets":[],"hmac_secrets":[],"forward":"raw","origin_secret":"X","tolerance_s":1,"max_body_bytes":1,"timeout_ms":1,"max_retries":1,"retry_base_s":1,"retry_max_s":1,"retry_schedule_s":[1],"dedup_ttl_s":60,"inline_delivery":true,"max_in_flight":1,"max_per_second":1,"breaker_failures":1,"breaker_cooldown_s":1,"ack_status_code":"200","signature":"sha1","live_only":true,"scheme":{}}"#;
        let parsed: serde_json::Value = serde_json::from_str(all).expect("json");
        let mut parser_fields: Vec<&str> = parsed
            .as_object()
            .expect("obj")
            .keys()
            .map(String::as_str)
            .collect();
        let mut schema_fields = fields.clone();
        parser_fields.sort_unstable();
        schema_fields.sort_unstable();
        assert_eq!(schema_fields, parser_fields);
        // and the parser knows every one of them (deny_unknown_fields would name it)
        let e = parse_routes(&format!("[{all}]")).expect_err("options on the wrong provider");
        assert!(!e.reason.contains("unknown field"), "{e}");
    }

    #[test]
    fn retry_options_are_a_schedule_or_the_exponential_parameters() {
        let spec = |extra: &str| parse_routes(&route(extra)).map(|mut v| v.remove(0));
        let d = spec("").expect("default");
        assert_eq!(d.schedule(), DEFAULT_RETRY_SCHEDULE_S);
        assert_eq!(d.retry_horizon_s(), 99_305);
        assert!(d.dedup_ttl() >= d.retry_horizon_s());
        assert_eq!(d.dedup_ttl(), MIN_DEFAULT_DEDUP_TTL_S);
        let custom = spec(r#","retry_schedule_s":[60,86400,86400,86400,86400,86400,86400,86400]"#)
            .expect("custom");
        assert_eq!(custom.retry_horizon_s(), 60 + 7 * 86_400);
        assert_eq!(
            custom.dedup_ttl(),
            60 + 8 * 86_400,
            "the dedup window follows the schedule"
        );
        let exp = spec(r#","max_retries":3,"retry_base_s":10"#).expect("exponential");
        assert!(exp.schedule().is_empty());
        assert_eq!(exp.retry_horizon_s(), (10 + 20) * 6 / 5);
        assert_eq!(
            spec(r#","dedup_ttl_s":3600"#).expect("ttl").dedup_ttl(),
            3600
        );
        for (extra, at) in [
            (
                r#","retry_schedule_s":[5],"max_retries":3"#,
                "routes[0].retry_schedule_s",
            ),
            (
                r#","retry_schedule_s":[5,86401]"#,
                "routes[0].retry_schedule_s[1]",
            ),
            (r#","retry_max_s":86401"#, "routes[0].retry_max_s"),
            (r#","dedup_ttl_s":59"#, "routes[0].dedup_ttl_s"),
        ] {
            assert_eq!(spec(extra).expect_err(extra).at, at);
        }
        let long = format!(r#","retry_schedule_s":[{}]"#, vec!["1"; 101].join(","));
        assert_eq!(
            spec(&long).expect_err("101").at,
            "routes[0].retry_schedule_s"
        );
        assert!(
            spec(r#","inline_delivery":true"#)
                .expect("inline")
                .inline_delivery
        );
    }

    #[test]
    fn duplicate_paths_rejected() {
        let two = r#"[{"path":"/h","provider":"worldline","origin":"/x"},{"path":"/h","provider":"worldline","origin":"/x"}]"#;
        let e = parse_routes(two).expect_err("dup");
        assert_eq!(e.at, "routes[1].path");
        // Several repeated paths: the smallest is named, at its last route.
        let r = |p: &str| format!(r#"{{"path":"{p}","provider":"worldline","origin":"/x"}}"#);
        let many = [r("/z"), r("/b"), r("/z"), r("/b"), r("/a"), r("/b")].join(",");
        let e = parse_routes(&format!("[{many}]")).expect_err("dups");
        assert_eq!(e.at, "routes[5].path");
        assert!(e.reason.contains("duplicate path /b"), "{e}");
    }

    #[test]
    fn secrets_resolve_lines_and_report_missing() {
        let lookup = |n: &str| match n {
            "A" => Some("one\n\n two \n".to_string()),
            "E" => Some("  ".to_string()),
            _ => None,
        };
        let s = Secrets::new(0, &lookup);
        assert_eq!(
            s.resolve("secrets", &["A".into()], true).expect("ok"),
            vec!["one", "two"]
        );
        let e = s
            .resolve("secrets", &["A".into(), "B".into()], true)
            .expect_err("missing");
        assert!(e.reason.contains("B is not set"));
        assert_eq!(e.at, "routes[0].secrets[1]");
        // A secret pasted where the binding's name belongs is never repeated.
        let e = s
            .resolve("secrets", &["whsec_c2VjcmV0".into()], true)
            .expect_err("a value, not a name");
        assert_eq!(e.at, "routes[0].secrets[0]");
        assert!(!e.to_string().contains("whsec_c2VjcmV0"), "{e}");
        assert!(e.reason.contains("is not a binding name"), "{e}");
        assert!(!e.public().contains("whsec"), "{}", e.public());
        assert!(s.resolve("secrets", &["E".into()], true).is_err());
        assert!(s.resolve("secrets", &[], true).is_err());
    }

    #[test]
    fn keys_decode_and_name_the_binding_and_line_not_the_secret() {
        let lookup = |n: &str| match n {
            "A" => Some("6869\n".to_string()),
            "B" => Some("\n 6a6b \n\nnot-hex-secret\n".to_string()),
            _ => None,
        };
        let s = Secrets::new(3, &lookup);
        let hex = |l: &str| hex::decode(l).ok();
        assert_eq!(
            s.resolve_keys("secrets", &["A".into()], "key ", "must be hex", hex)
                .expect("ok"),
            vec![b"hi".to_vec()]
        );
        let e = s
            .resolve_keys(
                "secrets",
                &["A".into(), "B".into()],
                "key ",
                "must be hex",
                hex,
            )
            .expect_err("bad line");
        assert_eq!(e.at, "routes[3].secrets");
        assert_eq!(e.reason, "key 3 (secret binding B, line 4) must be hex");
        assert!(is_binding_name("DEMO_SIBS_KEY") && is_binding_name("K1"));
        for not in ["", "whsec_abc", "Abc", "1ABC", "A-B", "A B", "hello+world"] {
            assert!(!is_binding_name(not), "{not}");
        }
        let e = s
            .resolve_keys("secrets", &[], "key ", "must be hex", hex)
            .expect_err("required");
        assert!(e.reason.contains("at least one"), "{e}");
    }
}
