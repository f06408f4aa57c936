//! "Export CSV": every signal matching the current filter (up to [`EXPORT_CAP`]), fetched page
//! by page, written as CSV and saved by the browser.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::csv;
use super::model::{Entry, Filter, GroupNames, Page};
use crate::api::trading_operations::{TradeLog, trade_log};
use crate::api::{ApiError, fetch};
use crate::components::{AccountNames, Icon, IconName};

/// The most signals one file holds.
pub const EXPORT_CAP: usize = 5_000;

/// The largest page the server gives.
const PAGE_SIZE: usize = 100;

/// Where the export stands.
#[derive(Clone, Debug, PartialEq)]
enum Export {
    Idle,
    /// Signals fetched so far.
    Running(usize),
    Saved {
        signals: usize,
        /// More signals matched than the file holds.
        capped: bool,
    },
    Failed(String),
}

#[derive(Properties, PartialEq)]
pub struct ExportCsvProps {
    pub filter: Filter,
    pub names: AccountNames,
    pub groups: GroupNames,
}

#[component]
pub fn ExportCsv(props: &ExportCsvProps) -> Html {
    let export = use_state_eq(|| Export::Idle);
    let start = {
        let export = export.clone();
        let (filter, names, groups) = (
            props.filter.clone(),
            props.names.clone(),
            props.groups.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if matches!(*export, Export::Running(_)) {
                return;
            }
            export.set(Export::Running(0));
            let (export, names, groups) = (export.clone(), names.clone(), groups.clone());
            let input = filter.to_input();
            spawn_local(async move {
                let progress = export.clone();
                let fetched =
                    fetch_all(input, move |count| progress.set(Export::Running(count))).await;
                export.set(match fetched {
                    Ok((entries, capped)) => {
                        let text = csv::build(&entries, &names, &groups);
                        match csv::download(&file_name(), &text) {
                            Ok(()) => Export::Saved {
                                signals: entries.len(),
                                capped,
                            },
                            Err(error) => Export::Failed(error),
                        }
                    }
                    Err(error) => {
                        Export::Failed(format!("The trade log could not be fetched: {error}"))
                    }
                });
            });
        })
    };

    let running = matches!(*export, Export::Running(_));
    let status = match &*export {
        Export::Idle => Html::default(),
        Export::Running(count) => html! {
            <span class="log-export__status" role="status" data-testid="export-status">
                { format!("Fetching the log… {count} so far.") }
            </span>
        },
        Export::Saved { signals, capped } => html! {
            <span class="log-export__status" role="status" data-testid="export-status">
                { match (*capped, signals) {
                    (true, _) => format!("Saved the newest {signals} signals; narrow the filter to export older ones."),
                    (false, 1) => "Saved 1 signal.".to_owned(),
                    (false, _) => format!("Saved {signals} signals."),
                } }
            </span>
        },
        Export::Failed(error) => html! {
            <span class="log-export__status log-export__status--error" role="alert" data-testid="export-status">
                { error.clone() }
            </span>
        },
    };
    html! {
        <div class="log-export">
            <button
                class="button button--secondary"
                type="button"
                onclick={start}
                disabled={running}
                aria-busy={running.then_some("true")}
            >
                <Icon name={IconName::Download} />
                { if running { "Exporting…" } else { "Export CSV" } }
            </button>
            { status }
        </div>
    }
}

/// Every entry matching `filter`, newest first, at most [`EXPORT_CAP`]; `true` if more matched.
async fn fetch_all(
    filter: Option<trade_log::TradeLogFilterInput>,
    progress: impl Fn(usize),
) -> Result<(Vec<Entry>, bool), ApiError> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut after = None;
    loop {
        let wanted = PAGE_SIZE.min(EXPORT_CAP - entries.len());
        let variables = trade_log::Variables {
            first: wanted as i64,
            after: after.take(),
            filter: filter.clone(),
        };
        let page = Page::from(fetch::<TradeLog>(variables).await?);
        if page.entries.is_empty() {
            // Nothing more, whatever the cursor says: never loop on an empty page.
            return Ok((entries, false));
        }
        entries.extend(page.entries);
        progress(entries.len());
        match page.next {
            Some(cursor) if entries.len() < EXPORT_CAP => after = Some(cursor),
            Some(_) => return Ok((entries, true)),
            None => return Ok((entries, false)),
        }
    }
}

/// `copytrade-trade-log-2026-01-31.csv`, dated by the browser's clock in UTC.
fn file_name() -> String {
    let now = String::from(js_sys::Date::new_0().to_iso_string());
    let day = now.get(..10).unwrap_or("export");
    format!("copytrade-trade-log-{day}.csv")
}
