//! One linked connection: who and where (label, broker, live or demo), whether it works, how
//! old its credentials are, what it trades, and what can be done with it: test it, rotate its
//! credentials, unlink it.
//!
//! Rules: the list is the source of truth. Each action reports back (`on_changed`) and the
//! page reloads the list, so a card always shows what the server says; only an action's own
//! outcome (a test's result, "new credentials saved") is kept here, as a notice.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::brokers::{Catalogue, mark_class, mark_letter};
use super::rotate_form::RotateForm;
use super::trading_accounts::TradingAccounts;
use crate::api::fetch;
use crate::api::operations::broker_connections::BrokerConnectionsBrokerConnections as Connection;
use crate::api::operations::{
    BrokerEnvironment, BrokerKind, ConnectionStatus, TestBrokerConnection, UnlinkBrokerAccount,
    test_broker_connection, unlink_broker_account,
};
use crate::components::{FormAlert, reload_if_gone, use_session, use_submission};
use crate::feedback::Form;
use crate::format::{Clock, age_label};

/// Which panel under the card's buttons is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Closed,
    Rotate,
    Unlink,
}

/// The outcome of the card's last action, shown until the next one.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Notice {
    Tested {
        status: ConnectionStatus,
        last_error: Option<String>,
    },
    Rotated,
}

#[derive(Properties, PartialEq)]
pub struct ConnectionCardProps {
    pub connection: Connection,
    pub catalogue: Catalogue,
    pub totp_enabled: bool,
    /// Seconds since the Unix epoch, to tell how old the credentials are.
    pub now: i64,
    /// Something changed on the server: reload the list.
    pub on_changed: Callback<()>,
    /// Unlinked; the connection's label.
    pub on_unlinked: Callback<String>,
}

#[component]
pub fn ConnectionCard(props: &ConnectionCardProps) -> Html {
    let session = use_session();
    let panel = use_state_eq(|| Panel::Closed);
    let notice = use_state_eq(|| None::<Notice>);
    let testing = use_submission();
    let unlinking = use_submission();
    let connection = &props.connection;

    let test = {
        let (testing, notice, session, on_changed) = (
            testing.clone(),
            notice.clone(),
            session.clone(),
            props.on_changed.clone(),
        );
        let id = connection.id.clone();
        Callback::from(move |_: MouseEvent| {
            if !testing.begin() {
                return;
            }
            notice.set(None);
            let variables = test_broker_connection::Variables { id: id.clone() };
            let (testing, notice, session, on_changed) = (
                testing.clone(),
                notice.clone(),
                session.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match fetch::<TestBrokerConnection>(variables).await {
                    Ok(data) => {
                        testing.finish();
                        let tested = data.test_broker_connection;
                        notice.set(Some(Notice::Tested {
                            status: tested.status,
                            last_error: tested.last_error,
                        }));
                        on_changed.emit(());
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        testing.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let unlink = {
        let (unlinking, session, on_changed, on_unlinked) = (
            unlinking.clone(),
            session.clone(),
            props.on_changed.clone(),
            props.on_unlinked.clone(),
        );
        let (id, label) = (connection.id.clone(), connection.label.clone());
        Callback::from(move |_: MouseEvent| {
            if !unlinking.begin() {
                return;
            }
            let variables = unlink_broker_account::Variables { id: id.clone() };
            let (unlinking, session, on_changed, on_unlinked, label) = (
                unlinking.clone(),
                session.clone(),
                on_changed.clone(),
                on_unlinked.clone(),
                label.clone(),
            );
            spawn_local(async move {
                match fetch::<UnlinkBrokerAccount>(variables).await {
                    Ok(_) => {
                        unlinking.finish();
                        on_unlinked.emit(label);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        unlinking.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let open = |which: Panel| {
        let (panel, notice, unlinking) = (panel.clone(), notice.clone(), unlinking.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            unlinking.finish();
            panel.set(if *panel == which {
                Panel::Closed
            } else {
                which
            });
        })
    };
    let close = {
        let panel = panel.clone();
        Callback::from(move |()| panel.set(Panel::Closed))
    };
    let rotated = {
        let (panel, notice, on_changed) = (panel.clone(), notice.clone(), props.on_changed.clone());
        Callback::from(move |()| {
            panel.set(Panel::Closed);
            notice.set(Some(Notice::Rotated));
            on_changed.emit(());
        })
    };

    let name = props.catalogue.name(connection.broker);
    let spec = props.catalogue.get(connection.broker).cloned();
    let paper = connection.broker == BrokerKind::Paper;
    let title_id = format!("connection-{}-title", connection.id);
    let checked = Clock::parse(&connection.last_checked_at).map_or_else(
        || connection.last_checked_at.clone(),
        |clock| clock.moment_label(),
    );
    let credentials_age = Clock::parse(&connection.credentials_updated_at)
        .map(|clock| age_label(props.now - clock.unix_seconds()));

    html! {
        <article
            class="card connection"
            aria-labelledby={title_id.clone()}
            data-testid="connection"
            data-status={status_name(connection.status)}
        >
            <header class="connection__header">
                <span class={classes!("broker__mark", mark_class(connection.broker))} aria-hidden="true">
                    { mark_letter(&name) }
                </span>
                <div class="card__heading">
                    <h2 class="card__title" id={title_id}>{ connection.label.clone() }</h2>
                    <p class="card__description" data-testid="connection-broker">{ name }</p>
                </div>
                <div class="connection__badges">
                    { environment_badge(connection.environment) }
                    { status_badge(connection.status) }
                </div>
            </header>
            if connection.status != ConnectionStatus::Connected {
                <div class="callout callout--error" data-testid="connection-error">
                    <p class="callout__title">{ problem_title(connection.status) }</p>
                    <p>{ connection.last_error.clone().unwrap_or_else(|| "The broker gave no reason.".to_owned()) }</p>
                </div>
            }
            if connection.rotation_due {
                <div class="callout callout--warning" data-testid="rotation-due">
                    <p class="callout__title callout__title--warning">{ "Time to rotate" }</p>
                    <p>{ "These credentials are over 30 days old: rotate them." }</p>
                </div>
            }
            <dl class="facts connection__facts">
                <div class="facts__row">
                    <dt>{ "Credentials" }</dt>
                    <dd class="facts__value">
                        // The masked preview in a code font; paper trading's is a phrase.
                        <span class={classes!((!paper).then_some("connection__hint"))} data-testid="credential-hint">
                            { connection.credential_hint.clone() }
                        </span>
                        if let (false, Some(age)) = (paper, credentials_age) {
                            <span class="facts__note" data-testid="credential-age">{ format!("set {age} ago") }</span>
                        }
                    </dd>
                </div>
                // Only a real key can have withdrawal rights.
                if let (false, Some(can_withdraw)) = (paper, connection.can_withdraw) {
                    <div class="facts__row">
                        <dt>{ "Withdrawals" }</dt>
                        <dd class="facts__value">{ if can_withdraw { "Allowed: replace this key" } else { "Off: trade-only key" } }</dd>
                    </div>
                }
                <div class="facts__row">
                    <dt>{ "Last checked" }</dt>
                    <dd class="facts__value">
                        <time datetime={connection.last_checked_at.clone()}>{ checked }</time>
                    </dd>
                </div>
            </dl>
            <TradingAccounts accounts={connection.accounts.clone()} />
            if let Some(notice) = &*notice {
                { notice_view(notice) }
            }
            <FormAlert message={testing.feedback().general.clone()} />
            <div class="form__actions connection__actions">
                <button class="button button--secondary" type="button" onclick={test} disabled={testing.busy()}>
                    { if testing.busy() { "Testing…" } else { "Test connection" } }
                </button>
                if !paper && spec.is_some() {
                    <button
                        class="button button--secondary"
                        type="button"
                        aria-expanded={(*panel == Panel::Rotate).to_string()}
                        onclick={open(Panel::Rotate)}
                    >
                        { "Rotate credentials" }
                    </button>
                }
                <button
                    class="button button--danger-outline"
                    type="button"
                    aria-expanded={(*panel == Panel::Unlink).to_string()}
                    onclick={open(Panel::Unlink)}
                >
                    { "Unlink…" }
                </button>
            </div>
            {
                match (*panel, spec) {
                    (Panel::Rotate, Some(spec)) if !paper => html! {
                        <RotateForm
                            connection_id={connection.id.clone()}
                            {spec}
                            totp_enabled={props.totp_enabled}
                            on_done={rotated}
                            on_missing={props.on_changed.clone()}
                            on_cancel={close}
                        />
                    },
                    (Panel::Unlink, _) => html! {
                        <div class="confirm confirm--panel" role="group" aria-label={format!("Confirm unlinking {}", connection.label)} data-testid="unlink-confirm">
                            <p class="confirm__text">
                                { format!("Unlink “{}”? CopyTrade deletes its stored credentials at once and stops copying to and from it.", connection.label) }
                            </p>
                            <FormAlert message={unlinking.feedback().general.clone()} />
                            <div class="form__actions">
                                <button class="button button--danger" type="button" onclick={unlink} disabled={unlinking.busy()}>
                                    { if unlinking.busy() { "Unlinking…" } else { "Yes, unlink" } }
                                </button>
                                <button class="button button--secondary" type="button" onclick={open(Panel::Unlink)}>{ "Cancel" }</button>
                            </div>
                        </div>
                    },
                    _ => Html::default(),
                }
            }
        </article>
    }
}

fn notice_view(notice: &Notice) -> Html {
    let (class, text) = match notice {
        Notice::Tested {
            status: ConnectionStatus::Connected,
            ..
        } => (
            "callout--success",
            "Checked just now: connected. The broker answered and the credentials work.".to_owned(),
        ),
        Notice::Tested { status, last_error } => (
            "callout--error",
            format!(
                "Checked just now: {}. {}",
                status_label(*status).to_lowercase(),
                last_error.as_deref().unwrap_or("The broker gave no reason.")
            ),
        ),
        Notice::Rotated => (
            "callout--success",
            "New credentials saved: the broker accepted them. Delete the old key at the broker now.".to_owned(),
        ),
    };
    html! {
        <p class={classes!("callout", class)} role="status" data-testid="connection-notice">{ text }</p>
    }
}

fn environment_badge(environment: BrokerEnvironment) -> Html {
    let (class, text) = match environment {
        BrokerEnvironment::Live => (Some("badge--warning"), "Live"),
        BrokerEnvironment::Demo => (None, "Demo"),
        BrokerEnvironment::Unknown => (None, "Unknown environment"),
    };
    html! { <span class={classes!("badge", class)} data-testid="connection-environment">{ text }</span> }
}

fn status_badge(status: ConnectionStatus) -> Html {
    let class = match status {
        ConnectionStatus::Connected => Some("badge--success"),
        ConnectionStatus::Error | ConnectionStatus::Refused => Some("badge--danger"),
        ConnectionStatus::Unknown => None,
    };
    html! { <span class={classes!("badge", class)} data-testid="connection-status">{ status_label(status) }</span> }
}

fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "Connected",
        ConnectionStatus::Error => "Error",
        ConnectionStatus::Refused => "Refused",
        ConnectionStatus::Unknown => "Unknown",
    }
}

fn problem_title(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Refused => {
            "Refused: this key can withdraw funds. Copying to it is off until you rotate to a trade-only key."
        }
        _ => "The last check failed, so copying to this account is paused.",
    }
}

/// The status as the API names it, for the browser tests.
fn status_name(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "CONNECTED",
        ConnectionStatus::Error => "ERROR",
        ConnectionStatus::Refused => "REFUSED",
        ConnectionStatus::Unknown => "UNKNOWN",
    }
}
