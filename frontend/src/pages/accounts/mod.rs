//! `/accounts`: the user's linked broker connections, each with its trading accounts, and the
//! form that links another.
//!
//! Rules: the server's list (`brokerConnections`) is what the page shows; every change (link,
//! test, rotate, unlink) reloads it, and a short notice says what just happened. What each
//! broker needs comes from the server too (`brokerCredentialFields`), so a new broker or field
//! needs no change here beyond its labels. Credentials are typed, sent once and forgotten:
//! the page only ever shows the server's masked hint.

mod brokers;
mod connection;
mod credentials;
mod link_form;
mod rotate_form;
mod trading_accounts;

use yew::prelude::*;

use self::brokers::Catalogue;
use self::connection::ConnectionCard;
use self::link_form::LinkForm;
use crate::api::hooks::{Remote, use_query};
use crate::api::operations::{
    BrokerConnections, BrokerCredentialFields, broker_connections, broker_credential_fields,
};
use crate::components::{
    EmptyState, Icon, IconName, PageHeader, load_failed, loading, use_session,
};

#[component]
pub fn Accounts() -> Html {
    let session = use_session();
    let connections = use_query::<BrokerConnections>(broker_connections::Variables);
    let fields = use_query::<BrokerCredentialFields>(broker_credential_fields::Variables);
    let linking = use_state_eq(|| false);
    let notice = use_state_eq(|| None::<String>);
    // `RequireLogin` shows this page to logged-in users only.
    let Some(user) = session.user() else {
        return Html::default();
    };

    let reload = connections.refetch();
    let toggle = {
        let (linking, notice) = (linking.clone(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            linking.set(!*linking);
        })
    };
    let cancel = {
        let linking = linking.clone();
        Callback::from(move |()| linking.set(false))
    };
    let linked = {
        let (linking, notice, reload) = (linking.clone(), notice.clone(), reload.clone());
        Callback::from(move |label: String| {
            linking.set(false);
            notice.set(Some(format!(
                "“{label}” is linked. Its trading accounts are listed below."
            )));
            reload.emit(());
        })
    };
    let unlinked = {
        let (notice, reload) = (notice.clone(), reload.clone());
        Callback::from(move |label: String| {
            notice.set(Some(format!(
                "“{label}” is unlinked, and its stored credentials are deleted."
            )));
            reload.emit(());
        })
    };

    let catalogue = match fields.state() {
        Remote::Ready(data) => Catalogue::from_server(&data.broker_credential_fields),
        _ => Catalogue::default(),
    };
    let link_card = if *linking {
        let body = match fields.state() {
            Remote::Loading => loading("Loading the brokers"),
            Remote::Failed(error) => {
                load_failed("The brokers could not be loaded", error, &fields.refetch())
            }
            Remote::Ready(_) => html! {
                <LinkForm
                    catalogue={catalogue.clone()}
                    totp_enabled={user.totp_enabled}
                    on_linked={linked}
                    on_cancel={cancel}
                />
            },
        };
        html! {
            <section class="card" aria-labelledby="link-title">
                <header class="card__header">
                    <span class="card__icon"><Icon name={IconName::Plus} /></span>
                    <div class="card__heading">
                        <h2 class="card__title" id="link-title">{ "Link an account" }</h2>
                        <p class="card__description">
                            { "Give CopyTrade a login or API key that can trade but never withdraw. Try it first with paper trading: simulated money, no broker needed." }
                        </p>
                    </div>
                </header>
                { body }
            </section>
        }
    } else {
        Html::default()
    };

    let now = now_seconds();
    // Offered in the empty list while the form is closed.
    let first_link = if *linking {
        Html::default()
    } else {
        html! {
            <button class="button button--secondary" type="button" onclick={toggle.clone()}>
                { "Link your first account" }
            </button>
        }
    };
    let list = match connections.state() {
        Remote::Loading => {
            html! { <section class="card">{ loading("Loading your accounts") }</section> }
        }
        Remote::Failed(error) => html! {
            <section class="card">{ load_failed("Your accounts could not be loaded", error, &reload) }</section>
        },
        Remote::Ready(data) if data.broker_connections.is_empty() => html! {
            <section class="card" data-testid="connections-empty">
                <EmptyState
                    icon={IconName::Accounts}
                    title="No accounts linked yet"
                    action={first_link}
                >
                    { "Link a broker account to copy orders to or from it. Keys are checked with the broker, encrypted before they are stored, and only ever shown again as a masked preview." }
                </EmptyState>
            </section>
        },
        Remote::Ready(data) => html! {
            <div class="connections" data-testid="connections">
                { for data.broker_connections.iter().map(|connection| html! {
                    <ConnectionCard
                        key={connection.id.clone()}
                        connection={connection.clone()}
                        catalogue={catalogue.clone()}
                        totp_enabled={user.totp_enabled}
                        {now}
                        on_changed={reload.clone()}
                        on_unlinked={unlinked.clone()}
                    />
                }) }
            </div>
        },
    };

    html! {<>
        <PageHeader
            title="Accounts"
            subtitle="Your broker and exchange accounts: paper trading, Tradovate, Apex, TopstepX, Binance, Bybit and OKX. One account leads; the others follow it."
        >
            <button
                class="button button--primary"
                type="button"
                aria-expanded={linking.to_string()}
                onclick={toggle}
            >
                <Icon name={IconName::Plus} />
                { "Link an account" }
            </button>
        </PageHeader>
        if let Some(notice) = &*notice {
            <p class="callout callout--success" role="status" data-testid="accounts-notice">{ notice.clone() }</p>
        }
        { link_card }
        { list }
    </>}
}

/// The browser's clock in seconds since the Unix epoch.
fn now_seconds() -> i64 {
    // Milliseconds as a float; whole seconds are all an age needs.
    (js_sys::Date::now() / 1000.0).floor() as i64
}
