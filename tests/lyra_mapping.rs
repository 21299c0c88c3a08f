//! Lyra amounts and issue-14 status meanings through the gateway, both IPN forms.

mod common;

use common::*;

const KEY: &str = "1122334455667788";
const NOW_S: i64 = 1_700_000_000;

fn form_event(fields: &[(&str, &str)]) -> serde_json::Value {
    let mut all = vec![("vads_ctx_mode", "TEST"), ("vads_trans_uuid", "u-9")];
    all.extend_from_slice(fields);
    normalized("lyra-form", &[KEY], "", &form_of(all), NOW_S)
}

/// `vads_amount` is the currency's smallest unit, `vads_currency` ISO 4217 numeric: one
/// currency per exponent class (vads_amount / vads_currency docs).
#[test]
fn form_amounts_per_exponent_class() {
    for (currency, amount, alpha) in [
        ("978", "5124", Some("EUR")),
        ("392", "500", Some("JPY")),
        ("952", "15000", Some("XOF")),
        ("414", "1234", Some("KWD")),
        ("999", "100", None),
    ] {
        let e = form_event(&[
            ("vads_trans_status", "CAPTURED"),
            ("vads_operation_type", "DEBIT"),
            ("vads_amount", amount),
            ("vads_currency", currency),
        ]);
        assert_eq!(
            e["data"]["amount_minor"].as_i64(),
            amount.parse().ok(),
            "{currency}"
        );
        assert_eq!(e["data"]["currency"].as_str(), alpha, "{currency}");
    }
}

#[test]
fn form_statuses_by_the_vocabulary() {
    for (status, op, want) in [
        ("ACCEPTED", "VERIFICATION", "payment.verified"),
        ("CAPTURE_FAILED", "DEBIT", "payment.pending"),
        ("AUTHORISED", "DEBIT", "payment.succeeded"),
        ("AUTHORISED_TO_VALIDATE", "DEBIT", "payment.authorized"),
        (
            "WAITING_AUTHORISATION_TO_VALIDATE",
            "DEBIT",
            "payment.authorized",
        ),
        ("AUTHORISED_TO_VALIDATE", "CREDIT", "payment.authorized"),
        ("CAPTURED", "CREDIT", "payment.refunded"),
    ] {
        let e = form_event(&[
            ("vads_trans_status", status),
            ("vads_operation_type", op),
            ("vads_amount", "100"),
            ("vads_currency", "978"),
        ]);
        assert_eq!(e["type"], want, "{status}/{op}");
    }
}

#[test]
fn rest_statuses_by_the_vocabulary() {
    for (order, tx, detailed, op, want) in [
        (
            "PAID",
            "PAID",
            "ACCEPTED",
            "VERIFICATION",
            "payment.verified",
        ),
        ("PAID", "PAID", "CAPTURE_FAILED", "DEBIT", "payment.pending"),
        (
            "RUNNING",
            "RUNNING",
            "WAITING_AUTHORISATION_TO_VALIDATE",
            "DEBIT",
            "payment.authorized",
        ),
        ("PAID", "PAID", "AUTHORISED", "DEBIT", "payment.succeeded"),
    ] {
        let answer = serde_json::json!({
            "orderStatus": order,
            "orderDetails": {"orderTotalAmount": 500, "orderCurrency": "JPY", "orderId": "o"},
            "transactions": [{"uuid": "u1", "status": tx, "detailedStatus": detailed,
                "operationType": op, "amount": 500, "currency": "JPY"}],
        });
        let e = normalized(
            "lyra-rest",
            &["testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M"],
            "",
            &answer.to_string(),
            NOW_S,
        );
        assert_eq!(e["type"], want, "{detailed}");
        assert_eq!(e["data"]["amount_minor"], 500);
        assert_eq!(e["data"]["currency"], "JPY");
    }
}
