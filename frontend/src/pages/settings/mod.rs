//! `/settings`: the logged-in user's account: password, two-factor login, sessions, API
//! tokens, the security log, and deleting the account.
//!
//! Rules: each section is its own card and file; a section that changes the account tells the
//! page (`on_change`), which reloads the security log so the change shows up there at once.
//! A section that changes the session reports it to the session provider, never keeps its own
//! idea of who is logged in.

mod api_tokens;
mod backup_codes;
mod delete_account;
mod password;
mod security_log;
mod sessions;
mod setup;
mod two_factor;

use yew::prelude::*;

use self::api_tokens::ApiTokensCard;
use self::delete_account::DeleteAccountCard;
use self::password::PasswordCard;
use self::security_log::SecurityLogCard;
use self::sessions::SessionsCard;
use self::two_factor::TwoFactorCard;
use crate::api::hooks::{Remote, use_query};
use crate::api::operations::{SecurityEvents, security_events};
use crate::components::{Icon, IconName, PageHeader, User, use_server_status, use_session};
use crate::format::Clock;

/// How many security events the page lists.
const EVENTS_SHOWN: i64 = 20;

#[component]
pub fn Settings() -> Html {
    let session = use_session();
    let events = use_query::<SecurityEvents>(security_events::Variables {
        first: EVENTS_SHOWN,
    });
    // `RequireLogin` shows this page to logged-in users only.
    let Some(user) = session.user() else {
        return Html::default();
    };
    let on_change = events.refetch();
    html! {<>
        <PageHeader title="Settings" subtitle="Your account, how you log in, and where you are logged in." />
        <div class="settings">
            <AccountCard user={(*user).clone()} />
            <PasswordCard totp_enabled={user.totp_enabled} on_change={on_change.clone()} />
            <TwoFactorCard user={(*user).clone()} on_change={on_change.clone()} />
            <SessionsCard />
            <ApiTokensCard on_change={on_change.clone()} />
            <SecurityLogCard events={events.state().clone()} on_retry={events.refetch()} />
            <DeleteAccountCard totp_enabled={user.totp_enabled} />
        </div>
    </>}
}

#[derive(Properties, PartialEq)]
struct AccountCardProps {
    user: User,
}

/// Who is logged in: the facts, no actions (the banner over every page offers to send the
/// confirmation link again).
#[component]
fn AccountCard(props: &AccountCardProps) -> Html {
    let status = use_server_status();
    // Until the server's facts arrive, an unconfirmed address is shown without a reason.
    let mail_off = matches!(&status.facts, Remote::Ready(facts) if !facts.mail_enabled);
    let (confirmation, note) = match (props.user.email_verified, mail_off) {
        (true, _) => (
            html! { <span class="badge badge--success">{ "Confirmed" }</span> },
            None,
        ),
        (false, false) => (
            html! { <span class="badge badge--warning">{ "Not confirmed" }</span> },
            None,
        ),
        (false, true) => (
            html! { <span class="badge">{ "Not confirmed" }</span> },
            Some("This server sends no email, so the address cannot be confirmed."),
        ),
    };
    let since = Clock::parse(&props.user.created_at)
        .map(|clock| clock.date_label())
        .unwrap_or_else(|| props.user.created_at.clone());
    let two_factor = if props.user.totp_enabled { "On" } else { "Off" };
    html! {
        <SettingsCard id="account" icon={IconName::User} title="Account">
            <dl class="facts">
                <div class="facts__row">
                    <dt>{ "Email" }</dt>
                    <dd class="facts__value" data-testid="account-email">{ props.user.email.clone() }</dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Email confirmation" }</dt>
                    <dd class="facts__value">
                        <span data-testid="account-email-state">{ confirmation }</span>
                        if let Some(note) = note {
                            <span class="facts__note" data-testid="account-email-note">{ note }</span>
                        }
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Member since" }</dt>
                    <dd class="facts__value">{ since }</dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Two-factor login" }</dt>
                    <dd class="facts__value" data-testid="account-two-factor">{ two_factor }</dd>
                </div>
            </dl>
        </SettingsCard>
    }
}

#[derive(Properties, PartialEq)]
struct SettingsCardProps {
    /// Names the card's heading (`{id}-title`) and its `data-testid`.
    id: AttrValue,
    icon: IconName,
    title: AttrValue,
    #[prop_or_default]
    description: Option<AttrValue>,
    /// The danger zone gets a red edge.
    #[prop_or_default]
    danger: bool,
    children: Html,
}

/// One section of the page.
#[component]
fn SettingsCard(props: &SettingsCardProps) -> Html {
    let title_id = format!("{}-title", props.id);
    html! {
        <section
            class={classes!("card", "settings-card", props.danger.then_some("settings-card--danger"))}
            aria-labelledby={title_id.clone()}
            data-testid={props.id.clone()}
        >
            <header class="card__header">
                <span class="card__icon"><Icon name={props.icon} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id={title_id}>{ props.title.clone() }</h2>
                    if let Some(description) = &props.description {
                        <p class="card__description">{ description.clone() }</p>
                    }
                </div>
            </header>
            { props.children.clone() }
        </section>
    }
}
