//! One API token in the list: its name and scopes, the hint of the token, when it was made,
//! when it expires and when it was last used; and revoking it, which asks first.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::model::{is_expired, last_used_label, moment, scopes_label};
use crate::api::fetch;
use crate::api::token_operations::api_tokens::ApiTokensApiTokens as ApiToken;
use crate::api::token_operations::{RevokeApiToken, revoke_api_token};
use crate::components::{FormAlert, reload_if_gone, use_session, use_submission};
use crate::feedback::Form;

#[derive(Properties, PartialEq)]
pub struct TokenItemProps {
    pub token: ApiToken,
    /// Now, in milliseconds since the epoch: whether the token has expired.
    pub now: f64,
    /// Revoked: its name.
    pub on_revoked: Callback<String>,
    /// Gone already (revoked in another window): reload the list.
    pub on_changed: Callback<()>,
}

#[component]
pub fn TokenItem(props: &TokenItemProps) -> Html {
    let session = use_session();
    let confirming = use_state_eq(|| false);
    let revoking = use_submission();
    let token = &props.token;

    let ask = {
        let (confirming, revoking) = (confirming.clone(), revoking.clone());
        Callback::from(move |_: MouseEvent| {
            revoking.finish();
            confirming.set(!*confirming);
        })
    };
    let revoke = {
        let (revoking, session) = (revoking.clone(), session.clone());
        let (id, name, on_revoked, on_changed) = (
            token.id.clone(),
            token.name.clone(),
            props.on_revoked.clone(),
            props.on_changed.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if !revoking.begin() {
                return;
            }
            let variables = revoke_api_token::Variables { id: id.clone() };
            let (revoking, session, name, on_revoked, on_changed) = (
                revoking.clone(),
                session.clone(),
                name.clone(),
                on_revoked.clone(),
                on_changed.clone(),
            );
            spawn_local(async move {
                match fetch::<RevokeApiToken>(variables).await {
                    Ok(_) => {
                        revoking.finish();
                        on_revoked.emit(name);
                    }
                    Err(error) => {
                        reload_if_gone(&error, &on_changed);
                        revoking.fail(&error, &Form::BUTTON, &session);
                    }
                }
            });
        })
    };

    let title_id = format!("api-token-{}-title", token.id);
    let expired = is_expired(&token.expires_at, props.now);
    html! {
        <li class="api-token" aria-labelledby={title_id.clone()} data-testid="api-token">
            <div class="api-token__head">
                <h3 class="api-token__name" id={title_id}>{ token.name.clone() }</h3>
                <span class="badge" data-testid="api-token-scopes">{ scopes_label(&token.scopes) }</span>
                if expired {
                    <span class="badge badge--warning">{ "Expired" }</span>
                }
            </div>
            <dl class="facts">
                <div class="facts__row">
                    <dt>{ "Token" }</dt>
                    <dd class="facts__value">
                        <code class="api-token__hint" data-testid="api-token-hint">{ token.token_hint.clone() }</code>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Created" }</dt>
                    <dd class="facts__value">
                        <time datetime={token.created_at.clone()}>{ moment(&token.created_at) }</time>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ if expired { "Expired" } else { "Expires" } }</dt>
                    <dd class="facts__value" data-testid="api-token-expires">
                        <time datetime={token.expires_at.clone()}>{ moment(&token.expires_at) }</time>
                    </dd>
                </div>
                <div class="facts__row">
                    <dt>{ "Last used" }</dt>
                    <dd class="facts__value" data-testid="api-token-last-used">
                        if let Some(at) = &token.last_used_at {
                            <time datetime={at.clone()}>{ last_used_label(Some(at)) }</time>
                        } else {
                            { last_used_label(None) }
                        }
                    </dd>
                </div>
            </dl>
            if *confirming {
                <div class="confirm confirm--panel" role="group" aria-label={format!("Confirm revoking {}", token.name)} data-testid="revoke-confirm">
                    <p class="confirm__text">
                        { format!("Revoke “{}”? Programs using it are refused from now on. This cannot be undone.", token.name) }
                    </p>
                    <FormAlert message={revoking.feedback().general.clone()} />
                    <div class="form__actions">
                        <button class="button button--danger" type="button" onclick={revoke} disabled={revoking.busy()}>
                            { if revoking.busy() { "Revoking…" } else { "Yes, revoke" } }
                        </button>
                        <button class="button button--secondary" type="button" onclick={ask}>{ "Cancel" }</button>
                    </div>
                </div>
            } else {
                <div class="form__actions">
                    <button class="button button--danger-outline" type="button" onclick={ask}>{ "Revoke…" }</button>
                </div>
            }
        </li>
    }
}
