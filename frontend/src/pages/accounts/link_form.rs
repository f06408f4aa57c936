//! Linking an account: pick the broker, the environment and a label, then give exactly the
//! credentials that broker needs, with its advice for a key CopyTrade accepts. Paper trading
//! takes a starting balance instead, and no environment (it is always a demo).
//!
//! The server checks everything (label, fields, the key's rights with the broker) and names
//! what is wrong; the form only catches a starting balance that is not a number, which it
//! could not send.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::brokers::{
    BrokerSpec, Catalogue, advice, mark_class, mark_letter, prop_firm_rules, venue,
};
use super::credentials::{CredentialChange, CredentialFields, CredentialValues, credentials_input};
use crate::api::operations::{
    BrokerEnvironment, BrokerKind, LinkBrokerAccount, link_broker_account,
};
use crate::api::{code, fetch};
use crate::components::{
    CodeField, FormAlert, SubmitButton, TextField, code_value, use_field, use_field_with,
    use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[
        ("label", "Label"),
        ("environment", "Environment"),
        ("credentials", "Credentials"),
        ("paperStartingBalance", "Starting balance"),
        ("totpCode", "Code"),
    ],
    password_field: None,
    code_field: Some("totpCode"),
    backup_codes: true,
};

/// What a paper account starts with unless the user says otherwise (the server's default).
const DEFAULT_STARTING_BALANCE: &str = "100000";

/// The longest label the server takes.
const MAX_LABEL_CHARS: u32 = 60;

#[derive(Properties, PartialEq)]
pub struct LinkFormProps {
    pub catalogue: Catalogue,
    /// Two-factor login is on: linking asks for a code.
    pub totp_enabled: bool,
    /// Linked; the connection's label.
    pub on_linked: Callback<String>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn LinkForm(props: &LinkFormProps) -> Html {
    let session = use_session();
    let first = props.catalogue.first().unwrap_or(BrokerKind::Paper);
    let broker = use_state_eq(|| first);
    let environment = use_state_eq(|| BrokerEnvironment::Demo);
    let label = use_field();
    let balance = use_field_with(DEFAULT_STARTING_BALANCE);
    let values = use_reducer_eq(CredentialValues::default);
    let code = use_field();
    // The server asked for a code although the session said two-factor login was off (it was
    // turned on in another window): ask for it from now on.
    let code_needed = use_state_eq(|| false);
    let submission = use_submission();
    let ask_code = props.totp_enabled || *code_needed;

    let choose = {
        let (broker, values, submission) = (broker.clone(), values.clone(), submission.clone());
        move |kind: BrokerKind| {
            let (broker, values, submission) = (broker.clone(), values.clone(), submission.clone());
            Callback::from(move |_: Event| {
                if *broker != kind {
                    // What was typed for one broker is never sent to another.
                    values.dispatch(CredentialChange::ClearAll);
                    // The last attempt's messages were about the other broker.
                    if !submission.busy() {
                        submission.finish();
                    }
                    broker.set(kind);
                }
            })
        }
    };
    let pick_environment = |which: BrokerEnvironment| {
        let environment = environment.clone();
        Callback::from(move |_: Event| environment.set(which))
    };

    let spec = props.catalogue.get(*broker).cloned();
    let onsubmit = {
        let (label, balance, values, code, code_needed) = (
            label.clone(),
            balance.clone(),
            values.clone(),
            code.clone(),
            code_needed.clone(),
        );
        let (submission, session, on_linked) =
            (submission.clone(), session.clone(), props.on_linked.clone());
        let (spec, environment) = (spec.clone(), *environment);
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(spec) = &spec else {
                submission.refuse(Feedback::general("Choose a broker."));
                return;
            };
            let paper = spec.kind == BrokerKind::Paper;
            let starting_balance = if paper {
                match parse_amount(&balance.text()) {
                    Some(amount) => Some(amount),
                    None => {
                        submission.refuse(Feedback::at(
                            "paperStartingBalance",
                            "Enter the starting balance as a number, like 100000.",
                        ));
                        return;
                    }
                }
            } else {
                None
            };
            if !submission.begin() {
                return;
            }
            let input = link_broker_account::LinkBrokerAccountInput {
                broker: spec.kind,
                // A paper account is a simulation whatever the form said.
                environment: if paper {
                    BrokerEnvironment::Demo
                } else {
                    environment
                },
                label: label.text().trim().to_owned(),
                credentials: credentials_input!(
                    link_broker_account::BrokerCredentialsInput,
                    values.for_broker(spec)
                ),
                totp_code: code_value(ask_code, &code),
                paper_starting_balance: starting_balance,
            };
            values.dispatch(CredentialChange::ClearSecrets);
            let (label, balance, values, code, code_needed) = (
                label.clone(),
                balance.clone(),
                values.clone(),
                code.clone(),
                code_needed.clone(),
            );
            let (submission, session, on_linked) =
                (submission.clone(), session.clone(), on_linked.clone());
            spawn_local(async move {
                match fetch::<LinkBrokerAccount>(link_broker_account::Variables { input }).await {
                    Ok(data) => {
                        values.dispatch(CredentialChange::ClearAll);
                        label.clear();
                        code.clear();
                        balance.set(DEFAULT_STARTING_BALANCE);
                        submission.finish();
                        on_linked.emit(data.link_broker_account.label);
                    }
                    Err(error) => {
                        if error.has_code(code::TOTP_REQUIRED) {
                            code_needed.set(true);
                        }
                        submission.fail(&error, &FORM, &session);
                    }
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());

    let feedback = submission.feedback();
    let paper = *broker == BrokerKind::Paper;
    let choices = props.catalogue.iter().map(|choice| {
        let selected = choice.kind == *broker;
        html! {
            <label class={classes!("broker", "broker-choice", selected.then_some("broker-choice--selected"))}>
                <input
                    class="broker-choice__input"
                    type="radio"
                    name="link-broker"
                    checked={selected}
                    onchange={choose(choice.kind)}
                />
                <span class={classes!("broker__mark", mark_class(choice.kind))} aria-hidden="true">
                    { mark_letter(&choice.name) }
                </span>
                <span class="broker__text">
                    <span class="broker__name">{ choice.name.clone() }</span>
                    <span class="broker__kind">{ venue(choice.kind) }</span>
                </span>
            </label>
        }
    });
    let environments = [
        (BrokerEnvironment::Demo, "Demo", "The broker's simulated trading."),
        (BrokerEnvironment::Live, "Live", "Real money."),
    ]
    .into_iter()
    .map(|(which, name, text)| {
        html! {
            <label class={classes!("choice", (*environment == which).then_some("choice--selected"))}>
                <input
                    type="radio"
                    name="link-environment"
                    checked={*environment == which}
                    onchange={pick_environment(which)}
                />
                <span class="choice__text">
                    <span class="choice__name">{ name }</span>
                    <span class="choice__note">{ text }</span>
                </span>
            </label>
        }
    });

    html! {
        <form class="form link-form" {onsubmit} novalidate=true data-testid="link-form" aria-label="Link an account">
            <FormAlert message={feedback.general.clone()} />
            <fieldset class="fieldset">
                <legend class="fieldset__legend">{ "Broker" }</legend>
                <div class="broker-grid broker-picker">{ for choices }</div>
            </fieldset>
            if let Some(spec) = &spec {
                <Guidance spec={spec.clone()} />
            }
            if !paper {
                <fieldset class="fieldset">
                    <legend class="fieldset__legend">{ "Environment" }</legend>
                    <div class="choices">{ for environments }</div>
                    if let Some(error) = feedback.for_field("environment") {
                        <p class="field__error">{ error }</p>
                    }
                </fieldset>
            }
            <div class="form__column">
                <TextField
                    id="link-label"
                    label="Label"
                    value={label.value()}
                    on_input={label.on_input()}
                    autocomplete="off"
                    maxlength={MAX_LABEL_CHARS}
                    hint="Your name for this account, shown in copy groups and the trade log."
                    error={feedback.for_field("label")}
                    required=true
                />
                if paper {
                    <TextField
                        id="link-balance"
                        label="Starting balance"
                        value={balance.value()}
                        on_input={balance.on_input()}
                        inputmode="decimal"
                        autocomplete="off"
                        hint="The simulated money the account starts with."
                        error={feedback.for_field("paperStartingBalance")}
                    />
                }
            </div>
            if let Some(spec) = &spec {
                <div class="form__column">
                    <CredentialFields
                        spec={spec.clone()}
                        values={values.clone()}
                        id_prefix="link"
                        error={feedback.for_field("credentials")}
                    />
                </div>
            }
            if ask_code {
                <div class="form__column">
                    <CodeField id="link-code" field={code.clone()} error={feedback.for_field("totpCode")} />
                </div>
            }
            if spec.as_ref().is_some_and(BrokerSpec::has_credentials) {
                <p class="form__note">
                    { "CopyTrade checks the credentials with the broker, encrypts them before storing them, and never shows them again. Secret fields are emptied after each attempt." }
                </p>
            }
            <div class="form__actions">
                <SubmitButton label="Link account" busy_label="Checking with the broker…" busy={submission.busy()} />
                <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
            </div>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct GuidanceProps {
    spec: BrokerSpec,
}

/// How to make a key CopyTrade accepts: the server's advice for the broker, then the app's.
#[component]
fn Guidance(props: &GuidanceProps) -> Html {
    let spec = &props.spec;
    html! {
        <div class="callout callout--info guidance" data-testid="broker-guidance">
            if spec.has_credentials() {
                <p class="guidance__title">{ format!("A safe key for {}", spec.name) }</p>
                <p>{ spec.guidance.clone() }</p>
            }
            if let Some(advice) = advice(spec.kind) {
                <p>{ advice }</p>
            }
            if let Some((firm, url)) = prop_firm_rules(spec.kind) {
                <p data-testid="prop-firm-rules">
                    { format!("{firm} sets its own rules on automated and copied trading, and they change. Check them before you copy: ") }
                    <a href={url} target="_blank" rel="noopener noreferrer">{ format!("{firm}'s rules") }</a>
                </p>
            }
        </div>
    }
}

/// An amount as people type it: `25000`, `25,000`, `25 000.50`. `None` unless it is a finite
/// number; whether it is a sensible one is the server's call.
fn parse_amount(text: &str) -> Option<f64> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '_') && !c.is_whitespace())
        .collect();
    digits
        .parse::<f64>()
        .ok()
        .filter(|amount| amount.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_or_without_separators() {
        assert_eq!(parse_amount("25000"), Some(25_000.0));
        assert_eq!(parse_amount(" 25,000 "), Some(25_000.0));
        assert_eq!(parse_amount("1 000 000.5"), Some(1_000_000.5));
        assert_eq!(parse_amount("-5"), Some(-5.0));
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("lots"), None);
        assert_eq!(parse_amount("inf"), None);
        assert_eq!(parse_amount("NaN"), None);
    }
}
