//! Backup codes, shown once: right after two-factor login is turned on, and after new ones are
//! made. The server keeps only their hashes, so this is the one chance to save them: the card
//! says so, and offers the clipboard and a text file.
//!
//! The file is made in the browser from a `Blob` and saved through a temporary object URL with
//! the `download` attribute: nothing goes back to the server, and no `data:` URL is navigated
//! to (browsers block top-level `data:` navigations).

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};
use yew::prelude::*;

use crate::components::{Icon, IconName, copy_text};

/// The file's name when saved.
const FILE_NAME: &str = "copytrade-backup-codes.txt";
/// How long the file's object URL lives: long enough for any browser to start the download.
const REVOKE_AFTER_MS: u32 = 10_000;

/// What the Copy button last did.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Copied {
    Not,
    Yes,
    Failed,
}

#[derive(Properties, PartialEq)]
pub struct BackupCodesProps {
    pub codes: Rc<Vec<String>>,
    /// The account they belong to, named in the file.
    pub email: AttrValue,
    pub on_done: Callback<()>,
}

#[component]
pub fn BackupCodes(props: &BackupCodesProps) -> Html {
    let copied = use_state_eq(|| Copied::Not);
    let download_failed = use_state_eq(|| false);

    let copy = {
        let (codes, copied) = (Rc::clone(&props.codes), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (text, copied) = (codes.join("\n"), copied.clone());
            spawn_local(async move {
                let outcome = copy_text(&text).await;
                copied.set(if outcome.is_ok() {
                    Copied::Yes
                } else {
                    Copied::Failed
                });
            });
        })
    };
    let download = {
        let (codes, email, failed) = (
            Rc::clone(&props.codes),
            props.email.clone(),
            download_failed.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            failed.set(save_text(FILE_NAME, &file_text(&email, &codes)).is_err());
        })
    };
    let done = props.on_done.reform(|_: MouseEvent| ());

    let codes = props
        .codes
        .iter()
        .map(|code| html! { <li><code>{ code }</code></li> });
    html! {
        <div class="backup-codes" data-testid="backup-codes">
            <div class="callout callout--warning" role="status">
                <p class="callout__title callout__title--warning">{ "Save these backup codes now. You will not see them again." }</p>
                <p>
                    { "If you lose your phone, each code logs you in once instead of an authenticator code. Keep them somewhere safe, apart from your password." }
                </p>
            </div>
            <ol class="backup-codes__list" data-testid="backup-code-list">{ for codes }</ol>
            <div class="form__actions">
                <button class="button button--secondary" type="button" onclick={copy}>
                    <Icon name={IconName::Copy} />
                    { if *copied == Copied::Yes { "Copied" } else { "Copy" } }
                </button>
                <button class="button button--secondary" type="button" onclick={download}>
                    <Icon name={IconName::Download} />
                    { "Download .txt" }
                </button>
                <button class="button button--primary" type="button" onclick={done}>
                    { "I have saved them" }
                </button>
            </div>
            <p class="form__note" role="status">
                {
                    match (&*copied, *download_failed) {
                        (_, true) => "The file could not be made here: copy the codes, or write them down.",
                        (Copied::Failed, _) => "This browser did not allow copying: select the codes and copy them, or download them.",
                        (Copied::Yes, _) => "The codes are on your clipboard.",
                        (Copied::Not, _) => "",
                    }
                }
            </p>
        </div>
    }
}

/// The saved file: what the codes are, then one per line.
fn file_text(email: &str, codes: &[String]) -> String {
    let mut text = format!(
        "CopyTrade backup codes for {email}\n\nEach code logs you in once, in place of a code from your authenticator app.\nMaking new codes stops these from working.\n\n"
    );
    for code in codes {
        text.push_str(code);
        text.push('\n');
    }
    text
}

/// Saves `text` as a file named `name`, through a temporary link to an object URL.
fn save_text(name: &str, text: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let link: HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download reads the URL after this task ends: free the blob a little later.
    Timeout::new(REVOKE_AFTER_MS, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_names_the_account_and_lists_every_code_on_its_own_line() {
        let codes = vec!["AAAA-BBBB".to_owned(), "CCCC-DDDD".to_owned()];
        let text = file_text("trader@example.com", &codes);
        assert!(text.starts_with("CopyTrade backup codes for trader@example.com\n"));
        assert!(text.ends_with("\nAAAA-BBBB\nCCCC-DDDD\n"));
    }
}
