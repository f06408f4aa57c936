//! Who may send to a webhook: a required signature, and an allow-list of addresses, offered as
//! one switch for TradingView's alert servers. Each switch saves at once (`updateWebhook`).
//!
//! Rules: a switch shows what was asked while the request runs, then what the server answered;
//! a failure puts it back and says why. The server is the source of the TradingView list; the
//! copy here only tells whether a saved list is that preset.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::fetch;
use crate::api::operations::{UpdateWebhook, update_webhook};
use crate::components::{FormAlert, reload_if_gone, use_session, use_submission};
use crate::feedback::Form;

/// TradingView's alert servers, as the server's `tradingviewOnly` preset sets them.
const TRADINGVIEW_IPS: [&str; 4] = [
    "52.89.214.238",
    "34.212.75.30",
    "54.218.53.128",
    "52.32.178.7",
];

/// Whether an allow-list is exactly TradingView's servers, in any order.
pub fn is_tradingview_only(allowed: &[String]) -> bool {
    allowed.len() == TRADINGVIEW_IPS.len()
        && TRADINGVIEW_IPS
            .iter()
            .all(|ip| allowed.iter().any(|entry| entry == ip))
}

/// The allow-list as a sentence.
pub fn allowed_label(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "Anyone with the URL".to_owned()
    } else if is_tradingview_only(allowed) {
        format!("TradingView's alert servers only ({})", allowed.join(", "))
    } else {
        format!("Only {}", allowed.join(", "))
    }
}

/// Who may send, as the card shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub require_signature: bool,
    pub allowed_ips: Vec<String>,
}

#[derive(Properties, PartialEq)]
pub struct AccessSwitchesProps {
    pub webhook_id: AttrValue,
    pub webhook_name: AttrValue,
    /// What the server's list says now.
    pub access: Access,
    /// Saved (or the webhook is gone): reload the list.
    pub on_changed: Callback<()>,
}

#[component]
pub fn AccessSwitches(props: &AccessSwitchesProps) -> Html {
    let session = use_session();
    let saving = use_submission();
    // What was asked or answered since the list last loaded; `None` shows the list's value.
    let shown = use_state_eq(|| None::<Access>);
    {
        let shown = shown.clone();
        use_effect_with(props.access.clone(), move |_| shown.set(None));
    }
    let access = (*shown).clone().unwrap_or_else(|| props.access.clone());

    let save = {
        let (saving, shown, session) = (saving.clone(), shown.clone(), session.clone());
        let (id, on_changed) = (props.webhook_id.to_string(), props.on_changed.clone());
        move |asked: Access, input: update_webhook::UpdateWebhookInput| {
            if !saving.begin() {
                return;
            }
            shown.set(Some(asked));
            let variables = update_webhook::Variables {
                id: id.clone(),
                input,
            };
            let (saving, shown, session, on_changed) = (
                saving.clone(),
                shown.clone(),
                session.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match fetch::<UpdateWebhook>(variables).await {
                    Ok(data) => {
                        saving.finish();
                        let saved = data.update_webhook;
                        shown.set(Some(Access {
                            require_signature: saved.require_signature,
                            allowed_ips: saved.allowed_ips,
                        }));
                        on_changed.emit(());
                    }
                    Err(error) => {
                        shown.set(None);
                        reload_if_gone(&error, &on_changed);
                        saving.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        }
    };
    let on_signature = {
        let (save, access) = (save.clone(), access.clone());
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            save(
                Access {
                    require_signature: on,
                    ..access.clone()
                },
                update_webhook::UpdateWebhookInput {
                    name: None,
                    require_signature: Some(on),
                    allowed_ips: None,
                    tradingview_only: false,
                },
            );
        })
    };
    let on_tradingview = {
        let access = access.clone();
        Callback::from(move |event: Event| {
            let on = event.target_unchecked_into::<HtmlInputElement>().checked();
            let allowed_ips = if on {
                TRADINGVIEW_IPS.iter().map(|ip| (*ip).to_owned()).collect()
            } else {
                Vec::new()
            };
            save(
                Access {
                    allowed_ips,
                    ..access.clone()
                },
                update_webhook::UpdateWebhookInput {
                    name: None,
                    require_signature: None,
                    // Off: anyone with the URL, the empty list.
                    allowed_ips: (!on).then(Vec::new),
                    tradingview_only: on,
                },
            );
        })
    };

    let tradingview = is_tradingview_only(&access.allowed_ips);
    let prefix = format!("webhook-{}", props.webhook_id);
    html! {
        <fieldset class="fieldset webhook__access" aria-busy={saving.busy().then_some("true")}>
            <legend class="fieldset__legend">{ format!("Who may send to “{}”", props.webhook_name) }</legend>
            <FormAlert message={saving.feedback().general.clone()} />
            <div class="choices">
            <label class={classes!("choice", access.require_signature.then_some("choice--selected"))}>
                <input
                    type="checkbox"
                    role="switch"
                    id={format!("{prefix}-signature")}
                    aria-labelledby={format!("{prefix}-signature-name")}
                    aria-describedby={format!("{prefix}-signature-note")}
                    checked={access.require_signature}
                    disabled={saving.busy()}
                    onchange={on_signature}
                />
                <span class="choice__text">
                    <span class="choice__name" id={format!("{prefix}-signature-name")}>{ "Require signature" }</span>
                    <span class="choice__note" id={format!("{prefix}-signature-note")}>
                        { "Refuse signals without a valid X-CopyTrade-Signature header (an HMAC of the timestamp and body with the signing secret shown when the URL was made or rotated). TradingView cannot sign: leave this off for its alerts." }
                    </span>
                </span>
            </label>
            <label class={classes!("choice", tradingview.then_some("choice--selected"))}>
                <input
                    type="checkbox"
                    role="switch"
                    id={format!("{prefix}-tradingview")}
                    aria-labelledby={format!("{prefix}-tradingview-name")}
                    aria-describedby={format!("{prefix}-tradingview-note")}
                    checked={tradingview}
                    disabled={saving.busy()}
                    onchange={on_tradingview}
                />
                <span class="choice__text">
                    <span class="choice__name" id={format!("{prefix}-tradingview-name")}>{ "Only TradingView's servers" }</span>
                    <span class="choice__note" id={format!("{prefix}-tradingview-note")}>
                        { "Accept signals only from TradingView's four alert servers; turn off to let anyone with the URL send." }
                    </span>
                </span>
            </label>
            </div>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ips: &[&str]) -> Vec<String> {
        ips.iter().map(|ip| (*ip).to_owned()).collect()
    }

    #[test]
    fn tradingviews_servers_in_any_order_are_the_preset() {
        let mut reversed = TRADINGVIEW_IPS;
        reversed.reverse();
        assert!(is_tradingview_only(&list(&reversed)));
        assert!(!is_tradingview_only(&list(&TRADINGVIEW_IPS[..3])));
        assert!(!is_tradingview_only(&list(&[
            "52.89.214.238",
            "34.212.75.30",
            "54.218.53.128",
            "10.0.0.0/8"
        ])));
    }

    #[test]
    fn the_allow_list_reads_as_who_may_send() {
        assert_eq!(allowed_label(&[]), "Anyone with the URL");
        assert!(
            allowed_label(&list(&TRADINGVIEW_IPS))
                .starts_with("TradingView's alert servers only (")
        );
        assert_eq!(
            allowed_label(&list(&["203.0.113.7", "10.0.0.0/8"])),
            "Only 203.0.113.7, 10.0.0.0/8"
        );
    }
}
