//! Building blocks shared by the shell and the pages.
//!
//! Rules: styling is by CSS class only (the server's Content-Security-Policy forbids inline
//! styles), class names follow `block__element--modifier` and live in `frontend/styles.css`;
//! every value a browser test reads carries a `data-testid`.

mod empty_state;
mod icons;
mod live_badge;
mod nav;
mod page_header;
mod server_card;
mod server_status;
mod status_bar;

pub use empty_state::EmptyState;
pub use icons::{Icon, IconName, Logo};
pub use live_badge::LiveBadge;
pub use nav::Sidebar;
pub use page_header::{PageHeader, use_document_title};
pub use server_card::ServerCard;
pub use server_status::{ServerStatusProvider, use_server_status};
pub use status_bar::StatusBar;
