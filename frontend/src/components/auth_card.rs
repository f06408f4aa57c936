//! The frame of the log-in and sign-up pages: one centred card with the logo, a title, a lead
//! line, the form, and a footer line leading to the other page.

use yew::prelude::*;

use super::{Logo, use_document_title};

#[derive(Properties, PartialEq)]
pub struct AuthCardProps {
    /// The tab's title (`Log in`).
    pub page: AttrValue,
    /// The card's heading (`Log in to CopyTrade`).
    pub title: AttrValue,
    pub lead: Html,
    pub children: Html,
    /// A line under a rule at the bottom; none when empty.
    #[prop_or_default]
    pub footer: Html,
}

#[component]
pub fn AuthCard(props: &AuthCardProps) -> Html {
    use_document_title(props.page.clone());
    html! {
        <div class="auth">
            <section class="card auth__card" aria-labelledby="auth-title">
                <Logo />
                <h1 class="auth__title" id="auth-title">{ props.title.clone() }</h1>
                <p class="auth__lead">{ props.lead.clone() }</p>
                { props.children.clone() }
                if props.footer != Html::default() {
                    <p class="auth__footer">{ props.footer.clone() }</p>
                }
            </section>
        </div>
    }
}

/// What the card shows while the app asks the server who is logged in.
#[component]
pub fn AuthCardLoading() -> Html {
    html! {
        <div class="auth">
            <section class="card auth__card" aria-busy="true" aria-label="Checking your session">
                <div class="skeleton">
                    <span class="skeleton__line skeleton__line--title"></span>
                    <span class="skeleton__line"></span>
                    <span class="skeleton__line"></span>
                    <span class="skeleton__line skeleton__line--short"></span>
                </div>
            </section>
        </div>
    }
}
