//! Queue messages written by the build before schema version 2 still decode and deliver.
//!
//! `tests/vectors/queue/v1-worldline-message.json` is a message exactly as that build
//! (commit 7f4a74f) wrote it for the Worldline SDKs' published payment vector: computed by
//! running that build's gateway on the vector and serializing its `Delivery`.

mod common;

use common::*;
use edgehook::event::{Event, Status, SCHEMA_VERSION};
use edgehook::forward;
use edgehook::verify::RustCrypto;
use edgehook::Delivery;

fn v1_message() -> String {
    String::from_utf8(read_vector("queue/v1-worldline-message.json")).expect("utf8")
}

#[test]
fn a_v1_message_decodes_and_forwards_its_event_unchanged() {
    let text = v1_message();
    let d: Delivery = serde_json::from_str(&text).expect("decodes as today's Delivery");
    assert_eq!(d.id, "8ee793f6-4553-4749-85dc-f2ef095c5ab0");
    // The event is forwarded byte for byte as it was accepted: its meaning is the one the
    // old rules gave it, and it says so by having no `schemaversion`.
    let req = forward::build(&d, None, Some(b"origin-key"), 1_700_000_000, &RustCrypto);
    assert_eq!(req.body, d.event.as_bytes());
    let ce: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    assert!(ce.get("schemaversion").is_none());
    assert_eq!(ce["type"], "payment.succeeded");
    assert!(req
        .headers
        .iter()
        .any(|(k, v)| k == "webhook-id" && v == "8ee793f6-4553-4749-85dc-f2ef095c5ab0"));
    // Read back with today's types, an event without the attribute is version 1.
    let e: Event = serde_json::from_str(&d.event).expect("event");
    assert_eq!(e.schemaversion, 1);
    assert_eq!(e.data.status, Status::Succeeded);
    assert_eq!(e.data.amount_minor, Some(1000));
}

#[test]
fn this_build_writes_the_same_message_but_for_the_schema_version() {
    let old: Delivery = serde_json::from_str(&v1_message()).expect("decodes");
    let body = read_vector("worldline/worldline-payment-valid-body.json");
    let gw = gateway("worldline", &["dummy-key-id:hello+world"], "");
    let req = edgehook::Request::new("POST", "/h", 1_700_000_000_000)
        .header("Content-Type", "application/json")
        .header(
            "X-GCS-Signature",
            "2S7doBj/GnJnacIjSJzr5fxGM5xmfQyFAwxv1I53ZEk=",
        )
        .header("X-GCS-KeyId", "dummy-key-id")
        .body(body);
    let edgehook::Decision::Accept { delivery, .. } = run(&gw, &req) else {
        panic!("not accepted")
    };
    let new_event: serde_json::Value = serde_json::from_str(&delivery.event).expect("json");
    assert_eq!(new_event["schemaversion"], SCHEMA_VERSION);
    let mut old_event: serde_json::Value = serde_json::from_str(&old.event).expect("json");
    old_event["schemaversion"] = SCHEMA_VERSION.into();
    // Version 2 also says whether the event is live; nothing signed by Worldline says.
    old_event["data"]["livemode"] = serde_json::Value::Null;
    assert_eq!(
        new_event, old_event,
        "only the version (and livemode) differ for this payment"
    );
    let mut new_msg = *delivery;
    new_msg.event = old.event.clone();
    // This build's delivery state: the retry schedule and whether the route signs travel
    // with the message; an older message has neither and decodes with their defaults (the
    // exponential schedule of its own fields, the route at delivery time deciding).
    assert_eq!(new_msg.schedule, edgehook::config::DEFAULT_RETRY_SCHEDULE_S);
    assert_eq!(new_msg.signed, Some(false));
    assert!(old.schedule.is_empty() && old.signed.is_none());
    new_msg.schedule = old.schedule.clone();
    new_msg.signed = old.signed;
    assert_eq!(
        new_msg, old,
        "the message envelope is unchanged but for the delivery state"
    );
}
