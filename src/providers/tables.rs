//! Status tables: each provider's documented status values and the normalized status each
//! one maps to, declared once with the official page or SDK file that documents the row.
//!
//! Only the `(value, status)` pairs are compiled into the library; the sources, the README
//! heading and the per-row documentation exist in test builds only, where the README's
//! per-provider tables are checked against them (`cargo test --lib tables`; with
//! `EDGEHOOK_WRITE_README=1` the test rewrites them), so the docs and the code cannot drift
//! and the worker's wasm carries no URLs.

use crate::event::Status;

/// `(provider value, normalized status)` rows, looked up by exact value.
pub type Table = &'static [(&'static str, Status)];

/// The status a table gives `value`, if it lists it.
pub fn lookup(table: Table, value: &str) -> Option<Status> {
    table.iter().find(|(v, _)| *v == value).map(|(_, s)| *s)
}

/// Declares a status table `NAME` (the runtime rows) and, in test builds, a module `NAME`
/// holding the same rows with their sources and the README block the table renders into.
/// Sources name a `const` of the calling module's `#[cfg(test)] mod src`.
macro_rules! status_table {
    (
        $(#[$doc:meta])*
        $name:ident, readme: $key:literal, column: $column:literal,
        [$(($value:literal, $status:ident, $src:ident)),* $(,)?]
    ) => {
        $(#[$doc])*
        pub(crate) const $name: $crate::providers::tables::Table =
            &[$(($value, $crate::event::Status::$status)),*];

        #[cfg(test)]
        #[allow(non_snake_case)]
        pub(crate) mod $name {
            use $crate::providers::tables::Sourced;
            /// The README block (`<!-- statuses:KEY -->`) and its first column's heading.
            pub const SOURCED: Sourced = Sourced {
                key: $key,
                column: $column,
                rows: &[$(($value, $crate::event::Status::$status, &super::src::$src)),*],
            };
        }
    };
}
pub(crate) use status_table;

/// Where a row's meaning is documented: an official doc page or an SDK file.
#[cfg(test)]
#[derive(Debug)]
pub struct Source {
    /// The page's title, or `owner/repo path` for an SDK file.
    pub title: &'static str,
    /// Its address.
    pub url: &'static str,
}

/// A table with its sources, for the README check.
#[cfg(test)]
#[derive(Debug)]
pub struct Sourced {
    /// The README block's key (`worldline.status`).
    pub key: &'static str,
    /// The first column's heading (`Worldline payment status`).
    pub column: &'static str,
    /// `(value, status, source)`.
    pub rows: &'static [(&'static str, Status, &'static Source)],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{everifin, fedapay, lyra_statuses, sibs, stripe, worldline};

    /// Every sourced table, in README order.
    fn all() -> Vec<&'static Sourced> {
        vec![
            &worldline::EVENT_TYPES::SOURCED,
            &worldline::PAYMENT_STATUSES::SOURCED,
            &worldline::REFUND_STATUSES::SOURCED,
            &worldline::PAYOUT_STATUSES::SOURCED,
            &worldline::PAYMENT_LINK_STATUSES::SOURCED,
            &sibs::OUTCOMES::SOURCED,
            &sibs::SUCCESSES::SOURCED,
            &everifin::PAYMENT_STATUSES::SOURCED,
            &everifin::ORDER_STATUSES::SOURCED,
            &lyra_statuses::DETAILED_STATUSES::SOURCED,
            &lyra_statuses::SIMPLE_STATUSES::SOURCED,
            &fedapay::EVENTS::SOURCED,
            &fedapay::TRANSACTION_STATUSES::SOURCED,
            &stripe::EVENTS::SOURCED,
            &stripe::CHECKOUT_PAYMENT_STATUSES::SOURCED,
            &stripe::CHARGE_CAPTURED::SOURCED,
            &stripe::REFUND_STATUSES::SOURCED,
            &stripe::DISPUTE_STATUSES::SOURCED,
        ]
    }

    /// The markdown block a table renders to: one row per value, with its source.
    fn render(t: &Sourced) -> String {
        let mut out = format!(
            "<!-- statuses:{} (generated from the code: EDGEHOOK_WRITE_README=1 cargo test --lib tables) -->\n",
            t.key
        );
        out.push_str(&format!(
            "| {} | status | source |\n|---|---|---|\n",
            t.column
        ));
        for (value, status, src) in t.rows {
            let value = if value.is_empty() {
                "(none)".to_owned()
            } else {
                format!("`{value}`")
            };
            out.push_str(&format!(
                "| {value} | `{}` | [{}]({}) |\n",
                status.as_str(),
                src.title,
                src.url
            ));
        }
        out.push_str("<!-- /statuses -->");
        out
    }

    /// The README's text with every table block replaced by its rendering; `Err` names a
    /// table whose block is missing.
    fn regenerate(readme: &str) -> Result<String, String> {
        let mut text = readme.to_owned();
        for t in all() {
            let open = format!("<!-- statuses:{} ", t.key);
            let start = text
                .find(&open)
                .ok_or_else(|| format!("README has no block {open}-->"))?;
            let end = text[start..]
                .find("<!-- /statuses -->")
                .map(|e| start + e + "<!-- /statuses -->".len())
                .ok_or_else(|| format!("block {} is not closed", t.key))?;
            text.replace_range(start..end, &render(t));
        }
        Ok(text)
    }

    #[test]
    fn readme_tables_match_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("README");
        let expected = regenerate(&readme).unwrap_or_else(|e| panic!("{e}"));
        if std::env::var_os("EDGEHOOK_WRITE_README").is_some() {
            std::fs::write(path, &expected).expect("write README");
            return;
        }
        if expected != readme {
            let first = expected
                .lines()
                .zip(readme.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_default();
            panic!(
                "README status tables differ from the code from line {} on: run \
                 EDGEHOOK_WRITE_README=1 cargo test --lib tables\nexpected: {:?}",
                first + 1,
                expected.lines().nth(first)
            );
        }
        // Every block in the README belongs to a table (none left over from a removed one).
        let blocks = readme.matches("<!-- statuses:").count();
        assert_eq!(blocks, all().len(), "README status blocks vs tables");
    }

    #[test]
    fn rows_are_unique_and_sourced() {
        for t in all() {
            let mut seen = std::collections::HashSet::new();
            for (value, _, src) in t.rows {
                assert!(seen.insert(*value), "{}: {value} listed twice", t.key);
                assert!(src.url.starts_with("https://"), "{}: {}", t.key, src.url);
                assert!(!src.title.is_empty(), "{}: {value}", t.key);
            }
        }
    }
}
