//! One component per route (see `app.rs`).
//!
//! Rules: a page states plainly what it holds; until its feature exists it says what will be
//! there and what unlocks it, never sample data. Pages start with a [`PageHeader`], which
//! also titles the browser tab.
//!
//! [`PageHeader`]: crate::components::PageHeader

mod accounts;
mod copy_groups;
mod dashboard;
mod forgot_password;
mod login;
mod not_found;
mod reset_password;
mod settings;
mod signup;
mod trade_log;
mod verify_email;
mod webhooks;

pub use accounts::Accounts;
pub use copy_groups::CopyGroups;
pub use dashboard::Dashboard;
pub use forgot_password::ForgotPassword;
pub use login::Login;
pub use not_found::NotFound;
pub use reset_password::ResetPassword;
pub use settings::Settings;
pub use signup::Signup;
pub use trade_log::TradeLog;
pub use verify_email::VerifyEmail;
pub use webhooks::Webhooks;
