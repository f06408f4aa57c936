//! Copying to the clipboard: a Copy button for something shown once (a webhook URL, a ready
//! message to paste), and the one function every copy goes through.
//!
//! The Clipboard API works only on secure origins (HTTPS or loopback) and may be refused, so
//! a copy can fail: the button then says to select the text instead, never pretends.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use yew::prelude::*;

use super::{Icon, IconName};

/// Puts `text` on the clipboard.
pub async fn copy_text(text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    JsFuture::from(window.navigator().clipboard().write_text(text)).await?;
    Ok(())
}

/// What the button last did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Copied {
    Not,
    Yes,
    Failed,
}

#[derive(Properties, PartialEq)]
pub struct CopyButtonProps {
    /// What is copied.
    pub text: AttrValue,
    /// The button's text, naming what it copies (`Copy URL`).
    pub label: AttrValue,
}

/// A button that copies `text`, then says whether it worked.
#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let copied = use_state_eq(|| Copied::Not);
    {
        // Other text (a rotated URL) has not been copied yet.
        let copied = copied.clone();
        use_effect_with(props.text.clone(), move |_| copied.set(Copied::Not));
    }
    let onclick = {
        let (text, copied) = (props.text.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let (text, copied) = (text.clone(), copied.clone());
            spawn_local(async move {
                copied.set(match copy_text(&text).await {
                    Ok(()) => Copied::Yes,
                    Err(_) => Copied::Failed,
                });
            });
        })
    };
    html! {
        <span class="copy">
            <button class="button button--secondary" type="button" {onclick}>
                <Icon name={IconName::Copy} />
                { props.label.clone() }
            </button>
            <span class="copy__status" role="status">
                {
                    match *copied {
                        Copied::Not => "",
                        Copied::Yes => "Copied.",
                        Copied::Failed => "This browser did not allow copying: select the text and copy it.",
                    }
                }
            </span>
        </span>
    }
}
