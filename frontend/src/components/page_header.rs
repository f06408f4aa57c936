//! A page's title block, which also names the browser tab.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PageHeaderProps {
    pub title: AttrValue,
    #[prop_or_default]
    pub subtitle: Option<AttrValue>,
    /// Buttons shown beside the title.
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn PageHeader(props: &PageHeaderProps) -> Html {
    use_document_title(props.title.clone());
    html! {
        <header class="page-header">
            <div class="page-header__text">
                <h1 class="page-header__title">{ props.title.clone() }</h1>
                if let Some(subtitle) = &props.subtitle {
                    <p class="page-header__subtitle">{ subtitle.clone() }</p>
                }
            </div>
            <div class="page-header__actions">{ props.children.clone() }</div>
        </header>
    }
}

/// Sets the tab's title to `<page> · CopyTrade` while the page is shown.
#[hook]
pub fn use_document_title(page: AttrValue) {
    use_effect_with(page, |page| {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(&format!("{page} · CopyTrade"));
        }
    });
}
