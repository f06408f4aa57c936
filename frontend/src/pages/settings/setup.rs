//! Setting up an authenticator: the QR code and the secret to type in, then a first code
//! proves the app has it and the password proves it is the user, and two-factor login turns
//! on. (A stolen session alone cannot put an attacker's authenticator on the account.)
//!
//! The QR code arrives as an SVG document. It is shown as an image from a `data:` URL, never
//! inserted as markup: an image cannot run scripts or load anything, and the page's
//! Content-Security-Policy forbids the inline styles an inserted document could carry.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::fetch;
use crate::api::operations::{ConfirmTotp, begin_totp_setup, confirm_totp};
use crate::components::{
    CodeField, FormAlert, SubmitButton, TextField, use_field, use_session, use_submission,
};
use crate::feedback::{Feedback, Form};

const FORM: Form = Form {
    fields: &[("code", "Code"), ("password", "Password")],
    password_field: Some("password"),
    code_field: Some("code"),
    backup_codes: false,
};

/// What the authenticator app needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    /// Base32.
    pub secret: String,
    pub otpauth_uri: String,
    /// The QR code as a `data:image/svg+xml;base64,…` URL.
    pub qr_code_url: String,
}

impl From<begin_totp_setup::BeginTotpSetupBeginTotpSetup> for Setup {
    fn from(setup: begin_totp_setup::BeginTotpSetupBeginTotpSetup) -> Self {
        Self {
            qr_code_url: svg_data_url(&setup.qr_code_svg),
            secret: setup.secret,
            otpauth_uri: setup.otpauth_uri,
        }
    }
}

fn svg_data_url(svg: &str) -> String {
    format!("data:image/svg+xml;base64,{}", base64(svg.as_bytes()))
}

/// Standard base64 with padding (RFC 4648 §4). Small enough to write out, which spares the
/// web app a dependency for one image.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0_u32, |group, (index, &byte)| {
                group | u32::from(byte) << (16 - 8 * index)
            });
        // 3 bytes give 4 symbols, 2 give 3, 1 gives 2; padding fills the rest.
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (group >> (18 - 6 * position)) & 0x3f;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// `JBSWY3DPEHPK3PXP` reads `JBSW Y3DP EHPK 3PXP`: groups of four are easier to type.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Properties, PartialEq)]
pub struct SetupPanelProps {
    pub setup: std::rc::Rc<Setup>,
    /// Two-factor login is on; these are the backup codes.
    pub on_confirmed: Callback<Vec<String>>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn SetupPanel(props: &SetupPanelProps) -> Html {
    let session = use_session();
    let code = use_field();
    let password = use_field();
    let submission = use_submission();
    let onsubmit = {
        let (code, password, submission, session, on_confirmed) = (
            code.clone(),
            password.clone(),
            submission.clone(),
            session.clone(),
            props.on_confirmed.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if code.is_blank() {
                submission.refuse(Feedback::at(
                    "code",
                    "Enter the 6-digit code your app shows.",
                ));
                return;
            }
            if password.text().is_empty() {
                submission.refuse(Feedback::at("password", "Enter your password."));
                return;
            }
            if !submission.begin() {
                return;
            }
            let variables = confirm_totp::Variables {
                code: code.text().trim().to_owned(),
                password: password.text(),
            };
            let (submission, session, on_confirmed) =
                (submission.clone(), session.clone(), on_confirmed.clone());
            spawn_local(async move {
                match fetch::<ConfirmTotp>(variables).await {
                    Ok(data) => {
                        submission.finish();
                        on_confirmed.emit(data.confirm_totp);
                    }
                    Err(error) => submission.fail(&error, &FORM, &session),
                }
            });
        })
    };
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    let feedback = submission.feedback();
    let setup = &props.setup;
    html! {
        <div class="setup" data-testid="totp-setup">
            <ol class="setup__steps">
                <li class="setup__step">
                    <h3 class="setup__title">{ "Add CopyTrade to your authenticator app" }</h3>
                    <p class="setup__text">
                        { "Scan the QR code with Google Authenticator, 1Password, Authy or any app for time-based codes." }
                    </p>
                    <div class="setup__key">
                        <img
                            class="qr-code"
                            src={setup.qr_code_url.clone()}
                            alt="QR code holding your CopyTrade authenticator key"
                            width="176"
                            height="176"
                            data-testid="totp-qr"
                        />
                        <div class="setup__manual">
                            <p class="setup__text">{ "Cannot scan? Type this key in instead (time-based, 6 digits):" }</p>
                            <code class="secret" data-testid="totp-secret">{ grouped(&setup.secret) }</code>
                            <a class="setup__link" href={setup.otpauth_uri.clone()}>
                                { "Open in an authenticator app on this device" }
                            </a>
                        </div>
                    </div>
                </li>
                <li class="setup__step">
                    <h3 class="setup__title">{ "Enter the code it shows, and your password" }</h3>
                    <form class="form form--narrow" {onsubmit} novalidate=true>
                        <FormAlert message={feedback.general.clone()} />
                        <CodeField
                            id="setup-code"
                            field={code.clone()}
                            error={feedback.for_field("code")}
                            backup_allowed=false
                        />
                        <TextField
                            id="setup-password"
                            label="Password"
                            kind="password"
                            value={password.value()}
                            on_input={password.on_input()}
                            autocomplete="current-password"
                            hint="Your CopyTrade password: it confirms that you, not someone holding this session, turn this on."
                            error={feedback.for_field("password")}
                        />
                        <div class="form__actions">
                            <SubmitButton label="Turn on two-factor login" busy_label="Checking…" busy={submission.busy()} />
                            <button class="button button--secondary" type="button" onclick={cancel}>{ "Cancel" }</button>
                        </div>
                    </form>
                </li>
            </ol>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_read_in_groups_of_four() {
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        assert_eq!(grouped("ABCDEF"), "ABCD EF");
        assert_eq!(grouped(""), "");
    }

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn the_qr_code_is_an_image_url_not_markup() {
        let url =
            svg_data_url(r##"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="#fff"/></svg>"##);
        assert!(url.starts_with("data:image/svg+xml;base64,PHN2Zy"));
        assert!(!url.contains('<') && !url.contains('"'));
    }
}
