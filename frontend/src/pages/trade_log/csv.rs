//! The trade log as a CSV file, saved by the browser.
//!
//! Rules (RFC 4180): one line per copied order, and one line for a signal no follower copied,
//! so every signal appears; lines end in CRLF; a field holding a comma, a quote or a line
//! break is quoted, its quotes doubled. Payloads, reasons and names come from outside (anyone
//! holding a webhook URL writes the payload), so a text field that a spreadsheet would run as
//! a formula (starting with `=`, `+`, `-`, `@`, a tab or a CR) gets a leading `'` (OWASP's
//! advice against CSV injection). Numbers are written plainly (`4512.25`), times as the API
//! gives them (RFC 3339, UTC).

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use super::model::{Entry, GroupNames, Order, latency_ms};
use crate::components::AccountNames;

/// The columns, in order.
const HEADER: [&str; 25] = [
    "signal_id",
    "received_at",
    "signal_status",
    "signal_result",
    "error_field",
    "copy_group",
    "account",
    "client_order_id",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "status",
    "reason",
    "broker_order_id",
    "filled_quantity",
    "average_price",
    "signal_price",
    "slippage",
    "latency_ms",
    "created_at",
    "sent_at",
    "acknowledged_at",
    "filled_at",
    "raw_payload",
];

/// Makes spreadsheets read the file as UTF-8 (names and payloads may be any language).
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// How long the file's `blob:` URL lives: long enough for the browser to start saving it.
const URL_LIFETIME_MS: u32 = 60_000;

/// The file for `entries`, naming accounts and groups.
pub fn build(entries: &[Entry], names: &AccountNames, groups: &GroupNames) -> String {
    let mut csv = String::from(BYTE_ORDER_MARK);
    push_line(&mut csv, HEADER.iter().map(|name| (*name).to_owned()));
    for entry in entries {
        let signal = &entry.signal;
        let result = signal
            .outcome
            .as_deref()
            .or(signal.error.as_deref())
            .unwrap_or_default();
        let signal_cells = || {
            [
                text(&signal.id),
                text(&signal.received_at),
                text(signal.status.code()),
                text(result),
                text(signal.error_field.as_deref().unwrap_or_default()),
            ]
        };
        if entry.orders.is_empty() {
            let blank = std::iter::repeat_n(String::new(), HEADER.len() - 6);
            push_line(
                &mut csv,
                signal_cells()
                    .into_iter()
                    .chain(blank)
                    .chain([text(&signal.raw_payload)]),
            );
        }
        for order in &entry.orders {
            let cells = signal_cells()
                .into_iter()
                .chain(order_cells(order, &signal.received_at, names, groups))
                .chain([text(&signal.raw_payload)]);
            push_line(&mut csv, cells);
        }
    }
    csv
}

/// The order's columns, `copy_group` to `filled_at`.
fn order_cells(
    order: &Order,
    received_at: &str,
    names: &AccountNames,
    groups: &GroupNames,
) -> [String; 19] {
    let optional = |value: Option<&str>| text(value.unwrap_or_default());
    [
        text(groups.name(order.copy_group_id.as_deref())),
        text(&names.name(order.account_id.as_deref())),
        text(&order.client_order_id),
        optional(order.symbol.as_deref()),
        optional(order.side.map(|side| side.label())),
        optional(order.order_type.map(|kind| kind.label())),
        number(order.quantity),
        text(order.status.code()),
        optional(order.reason.as_deref()),
        optional(order.broker_order_id.as_deref()),
        number(Some(order.filled_quantity)),
        number(order.average_price),
        number(order.signal_price),
        number(order.slippage),
        latency_ms(received_at, order).map_or_else(String::new, |ms| ms.to_string()),
        text(&order.created_at),
        optional(order.sent_at.as_deref()),
        optional(order.acknowledged_at.as_deref()),
        optional(order.filled_at.as_deref()),
    ]
}

fn push_line(csv: &mut String, cells: impl IntoIterator<Item = String>) {
    let cells: Vec<String> = cells.into_iter().map(|cell| quoted(&cell)).collect();
    csv.push_str(&cells.join(","));
    csv.push_str("\r\n");
}

/// A text field, defused if a spreadsheet would take it for a formula.
fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// A number as is (`-0.25`, `4512.25`), empty when there is none.
fn number(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| value.to_string())
}

/// The field as RFC 4180 writes it: quoted (quotes doubled) if it holds a comma, a quote or a
/// line break.
fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Saves `text` as `file_name` through a temporary `blob:` URL and an `<a download>`.
pub fn download(file_name: &str, text: &str) -> Result<(), String> {
    let refused = |error: JsValue| format!("The browser refused to save the file ({error:?}).");
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or("The page has no document to save the file from.")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options).map_err(refused)?;
    let url = Url::create_object_url_with_blob(&blob).map_err(refused)?;
    let anchor: HtmlAnchorElement = document
        .create_element("a")
        .map_err(refused)?
        .dyn_into()
        .map_err(|_| "The page could not make a download link.".to_owned())?;
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    // Revoked later, not now: the browser reads the blob after the click returns.
    gloo_timers::callback::Timeout::new(URL_LIFETIME_MS, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::model::tests::{order, signal};
    use super::*;
    use crate::api::trading_operations::{CopyStatus, SignalStatus};

    fn lines(csv: &str) -> Vec<&str> {
        csv.trim_start_matches(BYTE_ORDER_MARK)
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .collect()
    }

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted() {
        assert_eq!(quoted("plain"), "plain");
        assert_eq!(quoted("a,b"), "\"a,b\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
        assert_eq!(quoted("cr\rlf"), "\"cr\rlf\"");
    }

    #[test]
    fn text_that_looks_like_a_formula_is_defused() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text("-2+3"), "'-2+3");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("ES1!"), "ES1!");
        // Numbers are not text: a negative slippage stays a number.
        assert_eq!(number(Some(-0.25)), "-0.25");
        assert_eq!(number(None), "");
    }

    #[test]
    fn one_line_per_copy_and_one_for_a_signal_without_copies() {
        let mut filled = order("o1", "s1", CopyStatus::Filled);
        filled.acknowledged_at = Some("2026-01-02T10:00:00.042Z".to_owned());
        filled.average_price = Some(5_000.25);
        filled.filled_quantity = 1.0;
        let mut skipped = order("o2", "s1", CopyStatus::Skipped);
        skipped.account_id = Some("gone".to_owned());
        skipped.reason = Some("paused, by the kill switch".to_owned());
        let mut rejected = signal("s2", "2026-01-02T09:00:00Z");
        rejected.status = SignalStatus::Rejected;
        rejected.outcome = None;
        rejected.error_field = Some("action".to_owned());
        rejected.error = Some("must be buy, sell, or exit".to_owned());
        rejected.raw_payload = "{\"action\":\"hold\",\n\"note\":\"=1+1\"}".to_owned();
        let entries = [
            Entry {
                signal: signal("s1", "2026-01-02T10:00:00Z"),
                orders: vec![filled, skipped],
            },
            Entry {
                signal: rejected,
                orders: Vec::new(),
            },
        ];
        let csv = build(
            &entries,
            &AccountNames::default(),
            &GroupNames(vec![("g1".to_owned(), "ES, micro".to_owned())]),
        );
        assert!(csv.starts_with(BYTE_ORDER_MARK));
        let lines = lines(&csv);
        // The header, two copies, and the rejected signal (the line break in its payload is
        // inside quotes, and a bare LF, so it ends no record).
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].split(',').count(), HEADER.len());
        assert!(lines[1].starts_with("s1,2026-01-02T10:00:00Z,ACCEPTED,copied to 2 followers,,\"ES, micro\",Unlinked account,ct-o1,ES1!,Buy,Market,1,FILLED,,,1,5000.25,,,42,"));
        assert!(lines[2].contains(",SKIPPED,\"paused, by the kill switch\","));
        assert!(lines[3].starts_with(
            "s2,2026-01-02T09:00:00Z,REJECTED,\"must be buy, sell, or exit\",action,,,,"
        ));
        assert!(
            lines[3].ends_with("\"{\"\"action\"\":\"\"hold\"\",\n\"\"note\"\":\"\"=1+1\"\"}\"")
        );
    }
}
