//! `/login`: the sign-in form. The server has no login mutation yet, so the form cannot be
//! submitted and says so; it is wired to one when sign-in lands.

use yew::prelude::*;

use crate::components::{Logo, use_document_title};

#[component]
pub fn Login() -> Html {
    use_document_title("Log in".into());
    // The button is disabled, but Enter in a field would still submit: keep the page.
    let onsubmit = Callback::from(|event: SubmitEvent| event.prevent_default());
    html! {
        <div class="auth">
            <section class="card auth__card" aria-labelledby="login-title">
                <Logo />
                <h1 class="auth__title" id="login-title">{ "Log in to CopyTrade" }</h1>
                <p class="auth__lead">{ "Use the email address and password of your CopyTrade account." }</p>
                <form class="form" {onsubmit}>
                    <label class="field">
                        <span class="field__label">{ "Email" }</span>
                        <input
                            class="field__input"
                            type="email"
                            name="email"
                            autocomplete="username"
                            placeholder="you@example.com"
                            required=true
                        />
                    </label>
                    <label class="field">
                        <span class="field__label">{ "Password" }</span>
                        <input
                            class="field__input"
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            required=true
                        />
                    </label>
                    <button
                        class="button button--primary button--block"
                        type="submit"
                        disabled=true
                        aria-describedby="login-note"
                    >
                        { "Log in" }
                    </button>
                </form>
                <p class="callout callout--info" id="login-note" data-testid="login-unavailable">
                    { "Sign-in arrives with user accounts in an upcoming release. Until then this server only reports its status." }
                </p>
            </section>
        </div>
    }
}
