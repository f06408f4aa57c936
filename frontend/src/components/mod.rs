//! Building blocks shared by the shell and the pages.
//!
//! Rules: styling is by CSS class only (the server's Content-Security-Policy forbids inline
//! styles), class names follow `block__element--modifier` and live in `frontend/styles.css`;
//! every value a browser test reads carries a `data-testid`.

mod account_names;
mod auth_card;
mod copy_button;
mod email_link;
mod empty_state;
mod form;
mod icons;
mod live_badge;
mod live_events;
mod nav;
mod page_header;
mod remote_view;
mod require_login;
mod select_field;
mod server_card;
mod server_status;
mod session;
mod status_bar;
mod sudo_prompt;
mod verify_email_banner;

pub use account_names::{AccountNames, use_account_names};
pub use auth_card::{AuthCard, AuthCardLoading};
pub use copy_button::{CopyButton, copy_text};
pub use email_link::use_link_token;
pub use empty_state::EmptyState;
pub use form::{
    CodeField, FormAlert, SubmitButton, TextField, code_value, use_field, use_field_with,
    use_submission,
};
pub use icons::{Icon, IconName, Logo};
pub use live_badge::LiveBadge;
pub use live_events::use_live_events;
pub use nav::Sidebar;
pub use page_header::{PageHeader, use_document_title};
pub use remote_view::{load_failed, loading, reload_if_gone};
pub use require_login::{RequireLogin, ReturnTo, use_leave_when_logged_in, use_return_to};
pub use select_field::{SelectField, SelectOption};
pub use server_card::ServerCard;
pub use server_status::{ServerStatusProvider, use_server_status};
pub use session::{Farewell, Session, SessionProvider, SessionState, User, use_session};
pub use status_bar::StatusBar;
pub use sudo_prompt::SudoPrompt;
pub use verify_email_banner::VerifyEmailBanner;
