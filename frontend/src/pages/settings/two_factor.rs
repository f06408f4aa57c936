//! Two-factor login: turning it on (secret, QR code, a first code, then the backup codes),
//! turning it off, and replacing the backup codes.
//!
//! The card is a small state machine: [`Stage::Idle`] shows the state and its actions; setup
//! and the backup codes take the card over until done. Which actions exist follows the
//! session's `totpEnabled`, which this card updates after each change.

use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::SettingsCard;
use super::backup_codes::BackupCodes;
use super::setup::{Setup, SetupPanel};
use crate::api::fetch;
use crate::api::operations::{
    BeginTotpSetup, DisableTotp, RegenerateBackupCodes, begin_totp_setup, disable_totp,
    regenerate_backup_codes,
};
use crate::components::{
    CodeField, FormAlert, IconName, SubmitButton, TextField, User, use_field, use_session,
    use_submission,
};
use crate::feedback::{Feedback, Form};

const DISABLE_FORM: Form = Form {
    fields: &[("password", "Password"), ("totpCode", "Code")],
    password_field: Some("password"),
    code_field: Some("totpCode"),
    backup_codes: true,
};

const REGENERATE_FORM: Form = Form {
    fields: &[("totpCode", "Code")],
    password_field: None,
    code_field: Some("totpCode"),
    backup_codes: true,
};

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Idle,
    /// Setting up: the authenticator's secret is pending until a first code confirms it.
    Setup(Rc<Setup>),
    /// New backup codes, shown this once.
    Codes(Rc<Vec<String>>),
}

/// Which form of the "on" state is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Panel {
    Closed,
    Disable,
    Regenerate,
}

#[derive(Properties, PartialEq)]
pub struct TwoFactorCardProps {
    pub user: User,
    pub on_change: Callback<()>,
}

#[component]
pub fn TwoFactorCard(props: &TwoFactorCardProps) -> Html {
    let session = use_session();
    let stage = use_state_eq(|| Stage::Idle);
    let panel = use_state_eq(|| Panel::Closed);
    let notice = use_state_eq(|| None::<&'static str>);
    let starting = use_submission();

    let start = {
        let (stage, notice, starting, session) = (
            stage.clone(),
            notice.clone(),
            starting.clone(),
            session.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if !starting.begin() {
                return;
            }
            notice.set(None);
            let (stage, starting, session) = (stage.clone(), starting.clone(), session.clone());
            spawn_local(async move {
                match fetch::<BeginTotpSetup>(begin_totp_setup::Variables).await {
                    Ok(data) => {
                        starting.finish();
                        stage.set(Stage::Setup(Rc::new(Setup::from(data.begin_totp_setup))));
                    }
                    Err(error) => starting.fail(&error, &Form::BUTTON, &session),
                }
            });
        })
    };
    // The user's facts after a change, for the session provider.
    let with_totp = {
        let user = props.user.clone();
        move |totp_enabled: bool| User {
            totp_enabled,
            ..user.clone()
        }
    };
    let confirmed = {
        let (stage, updated, on_change) = (
            stage.clone(),
            session.updated.clone(),
            props.on_change.clone(),
        );
        let with_totp = with_totp.clone();
        Callback::from(move |codes: Vec<String>| {
            stage.set(Stage::Codes(Rc::new(codes)));
            updated.emit(with_totp(true));
            on_change.emit(());
        })
    };
    let regenerated = {
        let (stage, panel, on_change) = (stage.clone(), panel.clone(), props.on_change.clone());
        Callback::from(move |codes: Vec<String>| {
            panel.set(Panel::Closed);
            stage.set(Stage::Codes(Rc::new(codes)));
            on_change.emit(());
        })
    };
    let disabled = {
        let (panel, notice, updated, on_change) = (
            panel.clone(),
            notice.clone(),
            session.updated.clone(),
            props.on_change.clone(),
        );
        Callback::from(move |()| {
            panel.set(Panel::Closed);
            notice.set(Some(
                "Two-factor login is off. Log-ins ask for your password only.",
            ));
            updated.emit(with_totp(false));
            on_change.emit(());
        })
    };
    let to_idle = {
        let stage = stage.clone();
        Callback::from(move |()| stage.set(Stage::Idle))
    };
    let open = |which: Panel| {
        let (panel, notice) = (panel.clone(), notice.clone());
        Callback::from(move |_: MouseEvent| {
            notice.set(None);
            panel.set(if *panel == which {
                Panel::Closed
            } else {
                which
            });
        })
    };

    let body = match (&*stage, props.user.totp_enabled) {
        (Stage::Setup(setup), _) => html! {
            <SetupPanel setup={Rc::clone(setup)} on_confirmed={confirmed} on_cancel={to_idle} />
        },
        (Stage::Codes(codes), _) => html! {
            <BackupCodes codes={Rc::clone(codes)} email={props.user.email.clone()} on_done={to_idle} />
        },
        (Stage::Idle, false) => html! {<>
            <p class="setting-state" data-testid="two-factor-state">
                <span class="badge">{ "Off" }</span>
                { "A stolen password is enough to open your account. With two-factor login, each log-in also asks for a code from an app on your phone." }
            </p>
            <FormAlert message={starting.feedback().general.clone()} />
            <div class="form__actions">
                <button class="button button--primary" type="button" onclick={start} disabled={starting.busy()}>
                    { if starting.busy() { "Starting…" } else { "Set up two-factor login" } }
                </button>
            </div>
        </>},
        (Stage::Idle, true) => html! {<>
            <p class="setting-state" data-testid="two-factor-state">
                <span class="badge badge--success">{ "On" }</span>
                { "Each log-in asks for a code from your authenticator app, or one of your backup codes." }
            </p>
            <div class="form__actions">
                <button
                    class="button button--secondary"
                    type="button"
                    aria-expanded={(*panel == Panel::Regenerate).to_string()}
                    onclick={open(Panel::Regenerate)}
                >
                    { "New backup codes" }
                </button>
                <button
                    class="button button--secondary"
                    type="button"
                    aria-expanded={(*panel == Panel::Disable).to_string()}
                    onclick={open(Panel::Disable)}
                >
                    { "Turn off" }
                </button>
            </div>
            {
                match *panel {
                    Panel::Closed => Html::default(),
                    Panel::Regenerate => html! { <RegenerateForm on_done={regenerated} /> },
                    Panel::Disable => html! { <DisableForm on_done={disabled} /> },
                }
            }
        </>},
    };

    html! {
        <SettingsCard
            id="two-factor"
            icon={IconName::Shield}
            title="Two-factor login"
            description="A code from an authenticator app (TOTP) at every log-in, on top of your password."
        >
            if let Some(notice) = *notice {
                <p class="callout callout--success" role="status">{ notice }</p>
            }
            { body }
        </SettingsCard>
    }
}

#[derive(Properties, PartialEq)]
struct RegenerateFormProps {
    on_done: Callback<Vec<String>>,
}

/// New backup codes for a code: the old ones stop working.
#[component]
fn RegenerateForm(props: &RegenerateFormProps) -> Html {
    let session = use_session();
    let code = use_field();
    let submission = use_submission();
    let onsubmit = {
        let (code, submission, session, on_done) = (
            code.clone(),
            submission.clone(),
            session.clone(),
            props.on_done.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if code.is_blank() {
                submission.refuse(Feedback::at("totpCode", "Enter the code."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = regenerate_backup_codes::Variables {
                totp_code: code.text().trim().to_owned(),
            };
            let (submission, session, on_done) =
                (submission.clone(), session.clone(), on_done.clone());
            spawn_local(async move {
                match fetch::<RegenerateBackupCodes>(variables).await {
                    Ok(data) => {
                        submission.finish();
                        on_done.emit(data.regenerate_backup_codes);
                    }
                    Err(error) => submission.fail(&error, &REGENERATE_FORM, &session),
                }
            });
        })
    };
    let feedback = submission.feedback();
    html! {
        <form class="form form--narrow form--panel" {onsubmit} novalidate=true data-testid="regenerate-form">
            <p class="form__note">{ "Your current backup codes stop working as soon as the new ones are made." }</p>
            <FormAlert message={feedback.general.clone()} />
            <CodeField id="regenerate-code" field={code.clone()} error={feedback.for_field("totpCode")} />
            <div class="form__actions">
                <SubmitButton label="Make new backup codes" busy_label="Making codes…" busy={submission.busy()} />
            </div>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct DisableFormProps {
    on_done: Callback<()>,
}

/// Turning two-factor login off takes the password and a code: a stolen session alone
/// cannot weaken the account.
#[component]
fn DisableForm(props: &DisableFormProps) -> Html {
    let session = use_session();
    let password = use_field();
    let code = use_field();
    let submission = use_submission();
    let onsubmit = {
        let (password, code, submission, session, on_done) = (
            password.clone(),
            code.clone(),
            submission.clone(),
            session.clone(),
            props.on_done.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if password.text().is_empty() || code.is_blank() {
                let field = if password.text().is_empty() {
                    "password"
                } else {
                    "totpCode"
                };
                submission.refuse(Feedback::at(field, "Enter your password and a code."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = disable_totp::Variables {
                password: password.text(),
                totp_code: code.text().trim().to_owned(),
            };
            let (submission, session, on_done) =
                (submission.clone(), session.clone(), on_done.clone());
            spawn_local(async move {
                match fetch::<DisableTotp>(variables).await {
                    Ok(_) => {
                        submission.finish();
                        on_done.emit(());
                    }
                    Err(error) => submission.fail(&error, &DISABLE_FORM, &session),
                }
            });
        })
    };
    let feedback = submission.feedback();
    html! {
        <form class="form form--narrow form--panel" {onsubmit} novalidate=true data-testid="disable-form">
            <p class="form__note">{ "Log-ins will ask for your password only. Your backup codes stop working." }</p>
            <FormAlert message={feedback.general.clone()} />
            <TextField
                id="disable-password"
                label="Password"
                kind="password"
                value={password.value()}
                on_input={password.on_input()}
                autocomplete="current-password"
                error={feedback.for_field("password")}
            />
            <CodeField id="disable-code" field={code.clone()} error={feedback.for_field("totpCode")} />
            <div class="form__actions">
                <SubmitButton label="Turn off two-factor login" busy_label="Turning off…" busy={submission.busy()} variant="button--danger" />
            </div>
        </form>
    }
}
