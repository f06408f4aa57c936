//! The dashboard's Server card: the status bar's facts, at length.

use yew::prelude::*;

use super::{Icon, IconName, LiveBadge, use_server_status};
use crate::api::hooks::{Feed, Remote};

#[component]
pub fn ServerCard() -> Html {
    let status = use_server_status();

    let body = match &status.facts {
        Remote::Loading => html! {
            <div class="skeleton" aria-busy="true" aria-label="Loading server details">
                <span class="skeleton__line"></span>
                <span class="skeleton__line skeleton__line--short"></span>
                <span class="skeleton__line"></span>
            </div>
        },
        Remote::Failed(error) => {
            let onclick = status.retry.reform(|_: MouseEvent| ());
            let title = if error.is_unreachable() {
                "Cannot reach the server"
            } else {
                "The server reported a problem"
            };
            html! {
                <div class="callout callout--error" role="alert">
                    <p class="callout__title">{ title }</p>
                    <p>{ error.to_string() }{ " The app keeps trying and updates by itself once the server answers." }</p>
                    <button class="button button--secondary" type="button" {onclick}>{ "Try again" }</button>
                </div>
            }
        }
        Remote::Ready(facts) => {
            let (time, date) = match &status.clock {
                Feed::Data(clock) => (clock.time_label(), clock.date_label()),
                Feed::Waiting => ("Waiting for the clock…".to_owned(), String::new()),
                Feed::Failed(error) => ("Unavailable".to_owned(), error.to_string()),
                Feed::Ended => ("Stopped".to_owned(), String::new()),
            };
            html! {
                <dl class="facts">
                    <div class="facts__row">
                        <dt>{ "Version" }</dt>
                        <dd class="facts__value">{ &facts.version }</dd>
                    </div>
                    <div class="facts__row">
                        <dt>{ "Database" }</dt>
                        <dd class="facts__value">{ &facts.database }</dd>
                    </div>
                    <div class="facts__row">
                        <dt>{ "Email" }</dt>
                        <dd class="facts__value" data-testid="server-mail">
                            { if facts.mail_enabled { "On" } else { "Off" } }
                            if !facts.mail_enabled {
                                <span class="facts__note">{ "No address confirmation or password reset by email" }</span>
                            }
                        </dd>
                    </div>
                    <div class="facts__row">
                        <dt>{ "Server time" }</dt>
                        <dd class="facts__value facts__value--clock">
                            { time }
                            <span class="facts__note">{ date }</span>
                        </dd>
                    </div>
                </dl>
            }
        }
    };

    html! {
        <section class="card" data-testid="server-card" aria-labelledby="server-card-title">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Server} /></span>
                <h2 class="card__title" id="server-card-title">{ "Server" }</h2>
                <LiveBadge status={status.link} />
            </header>
            { body }
        </section>
    }
}
