//! API tokens: how the user's own programs reach the API without borrowing a 30-day session.
//! The list (name, scopes, hint, dates, last use), the form that makes one, and revoking.
//!
//! Rules: the server keeps only a hash of each token, so a new token is shown once, right
//! after it is made, in a panel that says so, until the user closes it; it is never kept in
//! the browser beyond that panel. The server's list is what the card shows; every change
//! reloads it and tells the page (`on_change`), which reloads the security log.

mod create_form;
mod model;
mod token_item;

use yew::prelude::*;

use self::create_form::CreateForm;
use self::token_item::TokenItem;
use super::SettingsCard;
use crate::api::hooks::{Remote, use_query};
use crate::api::token_operations::{ApiTokens, api_tokens};
use crate::components::{CopyButton, EmptyState, IconName, load_failed, loading};

/// A token just made, with its name: shown this once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    pub token: String,
}

#[derive(Properties, PartialEq)]
pub struct ApiTokensCardProps {
    pub on_change: Callback<()>,
}

#[component]
pub fn ApiTokensCard(props: &ApiTokensCardProps) -> Html {
    let tokens = use_query::<ApiTokens>(api_tokens::Variables);
    let creating = use_state_eq(|| false);
    let new_token = use_state_eq(|| None::<NewToken>);
    let notice = use_state_eq(|| None::<String>);

    let reload = {
        let (refetch, on_change) = (tokens.refetch(), props.on_change.clone());
        Callback::from(move |()| {
            refetch.emit(());
            on_change.emit(());
        })
    };
    let open_form = {
        let (creating, notice) = (creating.clone(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            creating.set(true);
        })
    };
    let cancel = {
        let creating = creating.clone();
        Callback::from(move |()| creating.set(false))
    };
    let created = {
        let (creating, new_token, notice, reload) = (
            creating.clone(),
            new_token.clone(),
            notice.clone(),
            reload.clone(),
        );
        Callback::from(move |made: NewToken| {
            creating.set(false);
            notice.set(None);
            new_token.set(Some(made));
            reload.emit(());
        })
    };
    let saved = {
        let new_token = new_token.clone();
        Callback::from(move |()| new_token.set(None))
    };
    let revoked = {
        let (notice, reload) = (notice.clone(), reload.clone());
        Callback::from(move |name: String| {
            notice.set(Some(format!(
                "“{name}” is revoked: programs using it are refused from now on."
            )));
            reload.emit(());
        })
    };

    let now = js_sys::Date::now();
    let list = match tokens.state() {
        Remote::Loading => loading("Loading your API tokens"),
        Remote::Failed(error) => load_failed(
            "Your API tokens could not be loaded.",
            error,
            &tokens.refetch(),
        ),
        Remote::Ready(data) if data.api_tokens.is_empty() => html! {
            <EmptyState icon={IconName::Key} title="No API tokens yet">
                { "Make one for a program or script of your own that reads your trades or runs the kill switch; it never needs your password." }
            </EmptyState>
        },
        Remote::Ready(data) => html! {
            <ul class="api-tokens" aria-label="Your API tokens" data-testid="api-token-list">
                { for data.api_tokens.iter().map(|token| html! {
                    <TokenItem
                        key={token.id.clone()}
                        token={token.clone()}
                        now={now}
                        on_revoked={revoked.clone()}
                        on_changed={reload.clone()}
                    />
                }) }
            </ul>
        },
    };

    html! {
        <SettingsCard
            id="api-tokens"
            icon={IconName::Key}
            title="API tokens"
            description="For your own programs: each token does only what its scopes allow, and can be revoked on its own. Changing your password revokes them all."
        >
            if let Some(notice) = &*notice {
                <p class="callout callout--success" role="status" data-testid="api-token-notice">{ notice.clone() }</p>
            }
            if let Some(made) = &*new_token {
                <NewTokenPanel token={made.clone()} on_done={saved} />
            }
            { list }
            if *creating {
                <CreateForm on_created={created} on_cancel={cancel} />
            } else {
                <div class="form__actions">
                    <button class="button button--primary" type="button" onclick={open_form}>{ "New API token" }</button>
                </div>
            }
        </SettingsCard>
    }
}

#[derive(Properties, PartialEq)]
struct NewTokenPanelProps {
    token: NewToken,
    /// Closed by the user: the token is gone from the page.
    on_done: Callback<()>,
}

/// The token just made, shown once, with how to send it.
#[component]
fn NewTokenPanel(props: &NewTokenPanelProps) -> Html {
    let done = props.on_done.reform(|_: MouseEvent| ());
    let made = &props.token;
    html! {
        <div class="one-time api-token-secret" data-testid="api-token-secret">
            <div class="callout callout--warning" role="status">
                <p class="callout__title callout__title--warning">
                    { format!("Copy the token “{}” now: it is shown only this once.", made.name) }
                </p>
                <p>
                    { "Anyone who has it can do what its scopes allow until it expires. CopyTrade keeps only a fingerprint of it, so it cannot show it again. Lost it, or shared it by mistake? Revoke it and make another." }
                </p>
            </div>
            <div class="one-time__item">
                <h3 class="one-time__label">{ "API token" }</h3>
                <code class="one-time__value" data-testid="api-token-value">{ made.token.clone() }</code>
                <CopyButton text={made.token.clone()} label="Copy token" />
                <p class="one-time__note">
                    { "Send it with each request as the header " }
                    <code>{ "Authorization: Bearer <token>" }</code>
                    { ", or in the subscription socket's connection_init as {\"token\": \"<token>\"}." }
                </p>
            </div>
            <div class="form__actions">
                <button class="button button--primary" type="button" onclick={done}>{ "I have saved the token" }</button>
            </div>
        </div>
    }
}
