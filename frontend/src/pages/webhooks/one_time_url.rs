//! A webhook's URL and signing secret, shown once: right after it is made or rotated. The
//! server stores only a hash of the token in the URL and keeps the secret sealed, so this panel
//! is the one chance to copy them; it says so, and offers what to paste into TradingView, how
//! a script signs a request, and a command to try the URL.

use yew::prelude::*;

use crate::components::{CopyButton, Icon, IconName};

/// The alert message for TradingView: its placeholders fill in the strategy's order.
pub const TRADINGVIEW_MESSAGE: &str = r#"{"ticker":"{{ticker}}","action":"{{strategy.order.action}}","sentiment":"{{strategy.market_position}}","quantity":"{{strategy.order.contracts}}","price":"{{close}}","id":"{{strategy.order.id}}-{{timenow}}"}"#;

/// How a script signs a request with the signing secret, in one line.
pub const SIGNATURE_FORMAT: &str = "Scripts that can set headers send X-CopyTrade-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with this secret>; each signature is taken once, within 5 minutes of its t.";

/// A URL and signing secret just made, with the webhook they belong to.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub name: String,
    pub url: String,
    /// The key of `X-CopyTrade-Signature`.
    pub signing_secret: String,
    /// A new URL for an existing webhook (the old one stopped working), not a new webhook.
    pub rotated: bool,
}

/// Never prints the URL or the secret (both are secrets).
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.name)
            .field("rotated", &self.rotated)
            .finish_non_exhaustive()
    }
}

/// A one-line `curl` that sends a small signal to `url` (the server's own URL: letters, digits
/// and `/:.-_`, nothing a shell reads specially).
pub fn curl_example(url: &str) -> String {
    format!(
        r#"curl -X POST -H 'Content-Type: application/json' -d '{{"ticker":"ES1!","action":"buy","quantity":1}}' {url}"#
    )
}

#[derive(Properties, PartialEq)]
pub struct OneTimeUrlProps {
    pub secret: Secret,
    /// Closed by the user: the URL is gone from the page.
    pub on_done: Callback<()>,
}

#[component]
pub fn OneTimeUrl(props: &OneTimeUrlProps) -> Html {
    let secret = &props.secret;
    let done = props.on_done.reform(|_: MouseEvent| ());
    let curl = curl_example(&secret.url);
    let title = if secret.rotated {
        format!("The new URL of “{}”", secret.name)
    } else {
        format!("“{}” is ready", secret.name)
    };
    html! {
        <section class="card one-time" aria-labelledby="one-time-title" data-testid="webhook-secret">
            <header class="card__header">
                <span class="card__icon"><Icon name={IconName::Key} /></span>
                <div class="card__heading">
                    <h2 class="card__title" id="one-time-title">{ title }</h2>
                    <p class="card__description">{ "Paste the URL into the “Webhook URL” of a TradingView alert." }</p>
                </div>
            </header>
            <div class="callout callout--warning" role="status">
                <p class="callout__title callout__title--warning">
                    { "Copy this URL and signing secret now: they are shown only this once." }
                </p>
                <p>
                    { "The URL is a secret: anyone who has it can send signals that trade your accounts. CopyTrade keeps only a fingerprint of it and the signing secret sealed, so it cannot show them again. Lost them, or shared one by mistake? Rotate the URL: that replaces both." }
                    if secret.rotated {
                        { " The old URL has stopped working, and so has the old signing secret: update your alerts and scripts." }
                    }
                </p>
            </div>
            <div class="one-time__item">
                <h3 class="one-time__label">{ "Webhook URL" }</h3>
                <code class="one-time__value" data-testid="webhook-url">{ secret.url.clone() }</code>
                <CopyButton text={secret.url.clone()} label="Copy URL" />
            </div>
            <div class="one-time__item">
                <h3 class="one-time__label">{ "Signing secret" }</h3>
                <p class="one-time__note" data-testid="signature-format">{ SIGNATURE_FORMAT }</p>
                <code class="one-time__value" data-testid="webhook-signing-secret">{ secret.signing_secret.clone() }</code>
                <CopyButton text={secret.signing_secret.clone()} label="Copy signing secret" />
            </div>
            <div class="one-time__item">
                <h3 class="one-time__label">{ "TradingView alert message" }</h3>
                <p class="one-time__note">
                    { "Paste into the alert's “Message”: TradingView fills in the ticker, side, size and price of each order of your strategy." }
                </p>
                <code class="one-time__value" data-testid="tradingview-message">{ TRADINGVIEW_MESSAGE }</code>
                <CopyButton text={TRADINGVIEW_MESSAGE} label="Copy message" />
            </div>
            <div class="one-time__item">
                <h3 class="one-time__label">{ "Try it from a terminal" }</h3>
                <code class="one-time__value" data-testid="curl-example">{ curl.clone() }</code>
                <CopyButton text={curl} label="Copy command" />
            </div>
            <div class="form__actions">
                <button class="button button--primary" type="button" onclick={done}>{ "I have saved the URL and secret" }</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curl_example_posts_a_json_buy_to_the_url() {
        assert_eq!(
            curl_example("http://127.0.0.1:8080/hooks/abc"),
            r#"curl -X POST -H 'Content-Type: application/json' -d '{"ticker":"ES1!","action":"buy","quantity":1}' http://127.0.0.1:8080/hooks/abc"#
        );
    }

    #[test]
    fn the_tradingview_message_is_json_with_the_strategys_placeholders() {
        let message: serde_json::Value =
            serde_json::from_str(TRADINGVIEW_MESSAGE).expect("the message is valid JSON");
        assert_eq!(message["action"], "{{strategy.order.action}}");
        assert_eq!(message["id"], "{{strategy.order.id}}-{{timenow}}");
    }
}
