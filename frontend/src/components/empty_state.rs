//! What a list shows before it has anything in it: what will be here and how to get there.

use yew::prelude::*;

use super::{Icon, IconName};

#[derive(Properties, PartialEq)]
pub struct EmptyStateProps {
    pub icon: IconName,
    pub title: AttrValue,
    /// The explanation.
    pub children: Html,
    /// A link or button leading to the next step.
    #[prop_or_default]
    pub action: Html,
}

#[component]
pub fn EmptyState(props: &EmptyStateProps) -> Html {
    html! {
        <div class="empty-state">
            <span class="empty-state__icon"><Icon name={props.icon} /></span>
            <h2 class="empty-state__title">{ props.title.clone() }</h2>
            <p class="empty-state__text">{ props.children.clone() }</p>
            { props.action.clone() }
        </div>
    }
}
