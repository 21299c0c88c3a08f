//! Lyra's transaction statuses, shared by the REST IPN (`detailedStatus`, `status`,
//! `orderStatus`) and the form IPN (`vads_trans_status`, the same vocabulary), so that
//! neither provider module depends on the other.

use crate::event::Status;
use crate::providers::tables::{lookup, status_table};

/// The detailed status is the most precise; the simplified transaction status, then the
/// order status, decide only when it is absent or new to us. On a `CREDIT` transaction
/// (a refund) a success is the money going back.
pub(crate) fn map_status(
    order: Option<&str>,
    transaction: Option<&str>,
    detailed: Option<&str>,
    credit: bool,
) -> Status {
    let status = [
        detailed.and_then(|d| lookup(DETAILED_STATUSES, d.trim())),
        transaction.and_then(|t| lookup(SIMPLE_STATUSES, t.trim())),
        order.and_then(|o| lookup(SIMPLE_STATUSES, o.trim())),
    ]
    .into_iter()
    .flatten()
    .next()
    .unwrap_or(Status::Unknown);
    match status {
        Status::Succeeded if credit => Status::Refunded,
        s => s,
    }
}

status_table! {
    /// `detailedStatus` (REST) and `vads_trans_status` (form). `AUTHORISED` "will be
    /// captured automatically" (`status` `PAID`): nothing left for the merchant. `ACCEPTED`
    /// is a VERIFICATION transaction that "will never be captured". `CAPTURE_FAILED` is
    /// counted as accepted by Lyra's own form SDK ("capture will be redone"): not known yet.
    /// `WAITING_AUTHORISATION_TO_VALIDATE` and `AUTHORISED_TO_VALIDATE` wait for the
    /// merchant's validation.
    DETAILED_STATUSES, readme: "lyra.detailed",
    column: "Lyra `detailedStatus` / `vads_trans_status`",
    [
        ("INITIAL", Pending, FORM_STATUS),
        ("WAITING_FOR_PAYMENT", Pending, REST_STATUS),
        ("WAITING_AUTHORISATION", Pending, FORM_STATUS),
        ("UNDER_VERIFICATION", Pending, FORM_STATUS),
        ("PENDING", Pending, REST_STATUS),
        ("SUSPENDED", Pending, FORM_STATUS),
        ("CAPTURE_FAILED", Pending, FORM_SDK),
        ("WAITING_AUTHORISATION_TO_VALIDATE", Authorized, FORM_STATUS),
        ("AUTHORISED_TO_VALIDATE", Authorized, FORM_STATUS),
        ("PRE_AUTHORISED", Authorized, FORM_STATUS),
        ("AUTHORISED", Succeeded, REST_STATUS),
        ("CAPTURED", Succeeded, REST_STATUS),
        ("PARTIALLY_AUTHORISED", Succeeded, REST_STATUS),
        ("ACCEPTED", Verified, REST_STATUS),
        ("REFUSED", Failed, REST_STATUS),
        ("ERROR", Failed, REST_STATUS),
        ("EXPIRED", Failed, FORM_STATUS),
        ("CANCELLED", Cancelled, FORM_STATUS),
        ("ABANDONED", Cancelled, FORM_STATUS),
        ("NOT_CREATED", Cancelled, FORM_STATUS),
    ]
}

status_table! {
    /// The simplified transaction `status` and the `orderStatus` (REST), read only when the
    /// detailed status does not decide.
    SIMPLE_STATUSES, readme: "lyra.simple", column: "Lyra `status` / `orderStatus`",
    [
        ("RUNNING", Pending, REST_STATUS),
        ("PARTIALLY_PAID", Pending, REST_ORDER),
        ("PAID", Succeeded, REST_STATUS),
        ("UNPAID", Failed, REST_STATUS),
        ("ABANDONED", Cancelled, REST_STATUS),
    ]
}

#[cfg(test)]
mod src {
    use crate::providers::tables::Source;
    pub const REST_STATUS: Source = Source {
        title: "Lyra REST API: Transaction lifecycle (status, detailedStatus)",
        url: "https://docs.lyra.com/en/rest/V4.0/api/kb/status_reference.html",
    };
    pub const REST_ORDER: Source = Source {
        title: "Lyra REST API: Transaction lifecycle (orderStatus)",
        url: "https://docs.lyra.com/en/rest/V4.0/api/kb/status_reference.html",
    };
    pub const FORM_STATUS: Source = Source {
        title: "Lyra form API: vads_trans_status",
        url: "https://docs.lyra.com/en/collect/form-payment/reference/vads-trans-status.html",
    };
    pub const FORM_SDK: Source = Source {
        title: "Lyra form API: vads_trans_status; Lyra form SDK Response::isAcceptedPayment (\"capture will be redone\")",
        url: "https://docs.lyra.com/en/collect/form-payment/reference/vads-trans-status.html",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses() {
        let m = |o, t, d, c| map_status(Some(o), t, d, c);
        assert_eq!(
            m("PAID", Some("PAID"), Some("AUTHORISED"), false),
            Status::Succeeded
        );
        assert_eq!(
            m("PAID", Some("PAID"), Some("CAPTURED"), false),
            Status::Succeeded
        );
        assert_eq!(
            m(
                "RUNNING",
                Some("RUNNING"),
                Some("AUTHORISED_TO_VALIDATE"),
                false
            ),
            Status::Authorized
        );
        assert_eq!(
            m(
                "RUNNING",
                Some("RUNNING"),
                Some("WAITING_AUTHORISATION"),
                false
            ),
            Status::Pending
        );
        assert_eq!(
            m("UNPAID", Some("UNPAID"), Some("REFUSED"), false),
            Status::Failed
        );
        assert_eq!(
            m("UNPAID", Some("UNPAID"), Some("CANCELLED"), false),
            Status::Cancelled
        );
        assert_eq!(
            m("UNPAID", Some("UNPAID"), Some("EXPIRED"), false),
            Status::Failed
        );
        assert_eq!(
            m("PAID", Some("PAID"), Some("CAPTURED"), true),
            Status::Refunded
        );
        assert_eq!(
            m("PAID", Some("UNPAID"), Some("REFUSED"), true),
            Status::Failed
        );
        // A VERIFICATION transaction: status PAID, yet no money.
        assert_eq!(
            m("PAID", Some("PAID"), Some("ACCEPTED"), false),
            Status::Verified
        );
        // The capture will be redone: not a failure.
        assert_eq!(
            m("PAID", Some("PAID"), Some("CAPTURE_FAILED"), false),
            Status::Pending
        );
        // A refund waiting for the merchant's validation has not given money back yet.
        assert_eq!(
            m(
                "RUNNING",
                Some("RUNNING"),
                Some("AUTHORISED_TO_VALIDATE"),
                true
            ),
            Status::Authorized
        );
        // unknown detailed status: the simplified one decides
        assert_eq!(
            m("PAID", Some("PAID"), Some("NEW_THING"), false),
            Status::Succeeded
        );
        assert_eq!(m("ABANDONED", None, None, false), Status::Cancelled);
        assert_eq!(m("PARTIALLY_PAID", None, None, false), Status::Pending);
        assert_eq!(map_status(None, None, None, false), Status::Unknown);
        assert_eq!(
            map_status(None, None, Some(" CAPTURED "), false),
            Status::Succeeded
        );
    }

    #[test]
    fn every_row() {
        for (value, status) in DETAILED_STATUSES {
            assert_eq!(
                map_status(None, None, Some(value), false),
                *status,
                "{value}"
            );
        }
        for (value, status) in SIMPLE_STATUSES {
            assert_eq!(
                map_status(None, Some(value), None, false),
                *status,
                "{value}"
            );
            assert_eq!(
                map_status(Some(value), None, None, false),
                *status,
                "{value}"
            );
        }
    }
}
