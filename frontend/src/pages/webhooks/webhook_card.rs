//! One webhook: its name, the hint of its token, when it was made and last heard from, who may
//! send to it, and what can be done with it: send a test signal, rotate its URL, delete it.
//!
//! Rules: the list is the source of truth. Each action reports back (`on_changed`) and the
//! page reloads the list and the signals; only a test signal's own outcome is kept here, as a
//! notice. Rotating and deleting break the URL the sender uses, so both ask first, in the card.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::access::{Access, AccessSwitches, allowed_label};
use super::moment;
use super::one_time_url::Secret;
use crate::api::fetch;
use crate::api::operations::webhooks::WebhooksWebhooks as Webhook;
use crate::api::operations::{
    DeleteWebhook, RotateWebhookToken, SendTestSignal, delete_webhook, rotate_webhook_token,
    send_test_signal,
};
use crate::components::{FormAlert, Icon, IconName, reload_if_gone, use_session, use_submission};
use crate::feedback::Form;
use crate::format::sentence;

/// Which confirmation under the card's buttons is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Closed,
    Rotate,
    Delete,
}

/// What a test signal came to.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tested {
    status: String,
    error_field: Option<String>,
    error: Option<String>,
}

#[derive(Properties, PartialEq)]
pub struct WebhookCardProps {
    pub webhook: Webhook,
    /// Something changed on the server: reload the lists.
    pub on_changed: Callback<()>,
    /// The URL was rotated: the new one and its signing secret, to show once.
    pub on_rotated: Callback<Secret>,
    /// Deleted; the webhook's name.
    pub on_deleted: Callback<String>,
}

#[component]
pub fn WebhookCard(props: &WebhookCardProps) -> Html {
    let session = use_session();
    let panel = use_state_eq(|| Panel::Closed);
    let tested = use_state_eq(|| None::<Tested>);
    let testing = use_submission();
    let rotating = use_submission();
    let deleting = use_submission();
    let webhook = &props.webhook;

    let test = {
        let (testing, tested, session) = (testing.clone(), tested.clone(), session.clone());
        let (id, on_changed) = (webhook.id.clone(), props.on_changed.clone());
        Callback::from(move |_: MouseEvent| {
            if !testing.begin() {
                return;
            }
            tested.set(None);
            let variables = send_test_signal::Variables { id: id.clone() };
            let (testing, tested, session, on_changed) = (
                testing.clone(),
                tested.clone(),
                session.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match fetch::<SendTestSignal>(variables).await {
                    Ok(data) => {
                        testing.finish();
                        let result = data.send_test_signal;
                        tested.set(Some(Tested {
                            status: result.status,
                            error_field: result.error_field,
                            error: result.error,
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
    let rotate = {
        let (rotating, panel, session) = (rotating.clone(), panel.clone(), session.clone());
        let (id, on_changed, on_rotated) = (
            webhook.id.clone(),
            props.on_changed.clone(),
            props.on_rotated.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if !rotating.begin() {
                return;
            }
            let variables = rotate_webhook_token::Variables { id: id.clone() };
            let (rotating, panel, session, on_changed, on_rotated) = (
                rotating.clone(),
                panel.clone(),
                session.clone(),
                on_changed.clone(),
                on_rotated.clone(),
            );
            spawn_local(async move {
                match fetch::<RotateWebhookToken>(variables).await {
                    Ok(data) => {
                        rotating.finish();
                        panel.set(Panel::Closed);
                        let rotated = data.rotate_webhook_token;
                        on_rotated.emit(Secret {
                            name: rotated.webhook.name,
                            url: rotated.url,
                            signing_secret: rotated.signing_secret,
                            rotated: true,
                        });
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        rotating.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let delete = {
        let (deleting, session) = (deleting.clone(), session.clone());
        let (id, name) = (webhook.id.clone(), webhook.name.clone());
        let (on_changed, on_deleted) = (props.on_changed.clone(), props.on_deleted.clone());
        Callback::from(move |_: MouseEvent| {
            if !deleting.begin() {
                return;
            }
            let variables = delete_webhook::Variables { id: id.clone() };
            let (deleting, session, on_changed, on_deleted, name) = (
                deleting.clone(),
                session.clone(),
                on_changed.clone(),
                on_deleted.clone(),
                name.clone(),
            );
            spawn_local(async move {
                match fetch::<DeleteWebhook>(variables).await {
                    Ok(_) => {
                        deleting.finish();
                        on_deleted.emit(name);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        deleting.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };
    let open = |which: Panel| {
        let (panel, rotating, deleting) = (panel.clone(), rotating.clone(), deleting.clone());
        Callback::from(move |_: MouseEvent| {
            rotating.finish();
            deleting.finish();
            panel.set(if *panel == which {
                Panel::Closed
            } else {
                which
            });
        })
    };

    let title_id = format!("webhook-{}-title", webhook.id);
    let last_signal = webhook
        .last_signal_at
        .as_deref()
        .map_or_else(|| "never".to_owned(), moment);
    let confirm = match *panel {
        Panel::Closed => Html::default(),
        Panel::Rotate => html! {
            <div class="confirm confirm--panel" role="group" aria-label={format!("Confirm rotating the URL of {}", webhook.name)} data-testid="rotate-confirm">
                <p class="confirm__text">
                    { format!("Rotate the URL of “{}”? The current URL stops working at once: alerts still using it are refused until you paste the new one.", webhook.name) }
                </p>
                <FormAlert message={rotating.feedback().general.clone()} />
                <div class="form__actions">
                    <button class="button button--primary" type="button" onclick={rotate} disabled={rotating.busy()}>
                        { if rotating.busy() { "Rotating…" } else { "Yes, rotate" } }
                    </button>
                    <button class="button button--secondary" type="button" onclick={open(Panel::Rotate)}>{ "Cancel" }</button>
                </div>
            </div>
        },
        Panel::Delete => html! {
            <div class="confirm confirm--panel" role="group" aria-label={format!("Confirm deleting {}", webhook.name)} data-testid="delete-confirm">
                <p class="confirm__text">
                    { format!("Delete “{}”? Its URL stops working at once. The signals it received stay in the log.", webhook.name) }
                </p>
                <FormAlert message={deleting.feedback().general.clone()} />
                <div class="form__actions">
                    <button class="button button--danger" type="button" onclick={delete} disabled={deleting.busy()}>
                        { if deleting.busy() { "Deleting…" } else { "Yes, delete" } }
                    </button>
                    <button class="button button--secondary" type="button" onclick={open(Panel::Delete)}>{ "Cancel" }</button>
                </div>
            </div>
        },
    };

    html! {
        <article class="card webhook" aria-labelledby={title_id.clone()} data-testid="webhook">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Webhooks} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id={title_id}>{ webhook.name.clone() }</h2>
                    <p class="card__description">{ "Signals sent to its URL arrive here." }</p>
                </div>
            </header>
            <dl class="facts webhook__facts">
                <div class="facts__row">
                    <dt>{ "Token" }</dt>
                    <dd class="facts__value">
                        <span class="webhook__hint" data-testid="webhook-token-hint">{ webhook.token_hint.clone() }</span>
                        <span class="facts__note">{ "the end of the URL; the whole was shown once" }</span>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Created" }</dt>
                    <dd class="facts__value">
                        <time datetime={webhook.created_at.clone()}>{ moment(&webhook.created_at) }</time>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Last signal" }</dt>
                    <dd class="facts__value" data-testid="webhook-last-signal">
                        if let Some(at) = &webhook.last_signal_at {
                            <time datetime={at.clone()}>{ last_signal }</time>
                        } else {
                            { last_signal }
                        }
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Signature" }</dt>
                    <dd class="facts__value" data-testid="webhook-signature">
                        { if webhook.require_signature { "Required" } else { "Not required" } }
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Who may send" }</dt>
                    <dd class="facts__value" data-testid="webhook-allowed">{ allowed_label(&webhook.allowed_ips) }</dd>
                </div>
            </dl>
            <AccessSwitches
                webhook_id={webhook.id.clone()}
                webhook_name={webhook.name.clone()}
                access={Access {
                    require_signature: webhook.require_signature,
                    allowed_ips: webhook.allowed_ips.clone(),
                }}
                on_changed={props.on_changed.clone()}
            />
            if let Some(tested) = &*tested {
                { tested_view(tested) }
            }
            <FormAlert message={testing.feedback().general.clone()} />
            <div class="form__actions webhook__actions">
                <button class="button button--secondary" type="button" onclick={test} disabled={testing.busy()} aria-busy={testing.busy().then_some("true")}>
                    { if testing.busy() { "Sending…" } else { "Send test signal" } }
                </button>
                <button
                    class="button button--secondary"
                    type="button"
                    aria-expanded={(*panel == Panel::Rotate).to_string()}
                    onclick={open(Panel::Rotate)}
                >
                    { "Rotate URL…" }
                </button>
                <button
                    class="button button--danger-outline"
                    type="button"
                    aria-expanded={(*panel == Panel::Delete).to_string()}
                    onclick={open(Panel::Delete)}
                >
                    { "Delete…" }
                </button>
            </div>
            { confirm }
        </article>
    }
}

/// A test signal's outcome, as the webhook would have answered a sender.
fn tested_view(tested: &Tested) -> Html {
    let (class, text) = tested_notice(tested);
    html! {
        <p class={classes!("callout", class)} role="status" data-testid="test-signal-result" data-status={tested.status.clone()}>
            { text }
        </p>
    }
}

fn tested_notice(tested: &Tested) -> (&'static str, String) {
    match tested.status.as_str() {
        "accepted" => (
            "callout--success",
            "Test signal accepted: buy 1 ES1! at market, logged but not copied to any follower. It is listed under “Last signals received”.".to_owned(),
        ),
        "duplicate" => (
            "callout--info",
            "Test signal not taken again: it is a duplicate of one received a moment ago.".to_owned(),
        ),
        "rejected" => {
            let reason = sentence(tested.error.as_deref().unwrap_or("no reason given"));
            let text = match &tested.error_field {
                Some(field) => format!("Test signal rejected ({field}): {reason}"),
                None => format!("Test signal rejected: {reason}"),
            };
            ("callout--error", text)
        }
        other => ("callout--info", format!("Test signal sent: {other}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tested(status: &str, field: Option<&str>, error: Option<&str>) -> Tested {
        Tested {
            status: status.to_owned(),
            error_field: field.map(str::to_owned),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn each_test_signal_outcome_reads_plainly() {
        assert_eq!(
            tested_notice(&tested("accepted", None, None)).0,
            "callout--success"
        );
        assert!(
            tested_notice(&tested("duplicate", None, None))
                .1
                .contains("duplicate")
        );
        assert_eq!(
            tested_notice(&tested(
                "rejected",
                Some("ip"),
                Some("203.0.113.7 may not send")
            )),
            (
                "callout--error",
                "Test signal rejected (ip): 203.0.113.7 may not send.".to_owned()
            )
        );
    }
}
