//! The security log: what happened to the account (log-ins, password and two-factor changes,
//! password resets, broker accounts linked, unlinked or re-keyed, the mails the server sent),
//! when, from which IP and which device.
//! The newest entries, as the server keeps them; it says what to look out for (a log-in
//! attempt that was not you) without alarming about the usual ones.

use yew::prelude::*;

use super::SettingsCard;
use crate::api::ApiError;
use crate::api::hooks::Remote;
use crate::api::operations::security_events::{
    ResponseData, SecurityEventKind, SecurityEventsSecurityEvents as Event,
};
use crate::components::{EmptyState, IconName};
use crate::format::{Clock, device_label};

/// How an entry is marked: most are routine, a few deserve a second look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tone {
    Routine,
    /// Worth checking it was you.
    Notable,
}

/// The entry in words: its kind, and for a mail which one it was (`detail`).
fn describe(kind: &SecurityEventKind, detail: Option<&str>) -> (String, Tone) {
    let (text, tone) = match kind {
        SecurityEventKind::REGISTERED => ("Account created", Tone::Routine),
        SecurityEventKind::LOGIN_SUCCEEDED => ("Logged in", Tone::Routine),
        SecurityEventKind::LOGIN_FAILED => ("Failed log-in attempt", Tone::Notable),
        SecurityEventKind::PASSWORD_CHANGED => ("Password changed", Tone::Notable),
        SecurityEventKind::LOGGED_OUT_EVERYWHERE => ("Logged out of all devices", Tone::Routine),
        SecurityEventKind::TOTP_ENABLED => ("Two-factor login turned on", Tone::Routine),
        SecurityEventKind::TOTP_DISABLED => ("Two-factor login turned off", Tone::Notable),
        SecurityEventKind::BACKUP_CODE_USED => ("Backup code used", Tone::Notable),
        SecurityEventKind::BACKUP_CODES_REGENERATED => ("New backup codes made", Tone::Routine),
        SecurityEventKind::BROKER_LINKED => ("Broker account linked", Tone::Routine),
        SecurityEventKind::BROKER_UNLINKED => ("Broker account unlinked", Tone::Routine),
        // New keys for a broker account, or one turned away: worth a look if it was not you.
        SecurityEventKind::BROKER_CREDENTIALS_CHANGED => {
            ("Broker credentials changed", Tone::Notable)
        }
        SecurityEventKind::BROKER_KEY_REFUSED => {
            ("Broker key refused: it could withdraw funds", Tone::Notable)
        }
        SecurityEventKind::ACCOUNT_LOCKED => (
            "Log-ins locked for 15 minutes after 10 failed attempts",
            Tone::Notable,
        ),
        SecurityEventKind::REAUTHENTICATED => {
            ("Password confirmed for a sensitive change", Tone::Routine)
        }
        SecurityEventKind::ACCOUNT_DELETED => ("Account deleted", Tone::Notable),
        SecurityEventKind::WEBHOOK_CREATED => ("Webhook created", Tone::Routine),
        SecurityEventKind::WEBHOOK_ROTATED => {
            ("Webhook URL and signing secret replaced", Tone::Notable)
        }
        SecurityEventKind::WEBHOOK_ACCESS_CHANGED => {
            ("Webhook access rules changed", Tone::Notable)
        }
        SecurityEventKind::KILL_SWITCH_USED => ("Kill switch used", Tone::Notable),
        SecurityEventKind::VAULT_KEY_ROTATED => {
            ("Stored secrets re-encrypted under a new key", Tone::Routine)
        }
        SecurityEventKind::API_TOKEN_CREATED => ("API token created", Tone::Notable),
        SecurityEventKind::API_TOKEN_REVOKED => ("API token revoked", Tone::Routine),
        SecurityEventKind::EMAIL_VERIFIED => ("Email address confirmed", Tone::Routine),
        // Anyone who knows the address can ask; only the mailbox gets the link. Worth a look
        // when it was not you.
        SecurityEventKind::PASSWORD_RESET_REQUESTED => {
            ("Password reset link requested", Tone::Notable)
        }
        SecurityEventKind::PASSWORD_RESET => (
            "Password set from a reset link: every other session ended",
            Tone::Notable,
        ),
        SecurityEventKind::EMAIL_SENT => {
            return (
                detail.map_or_else(
                    || "Email sent".to_owned(),
                    |detail| format!("Email sent: {}", mail_label(detail)),
                ),
                Tone::Routine,
            );
        }
        SecurityEventKind::BROKER_KEY_ROTATION_DUE => (
            "Broker key due for rotation: set 30 days ago",
            Tone::Notable,
        ),
        // A newer server may log more: show its name as sent.
        SecurityEventKind::Other(name) => return (name.clone(), Tone::Routine),
    };
    (text.to_owned(), tone)
}

/// Which mail an `EMAIL_SENT` was, in words; a kind this build does not know reads as sent.
fn mail_label(detail: &str) -> String {
    match detail {
        "verify_email" => "the link to confirm the email address",
        "password_reset" => "a password reset link",
        "new_sign_in" => "notice of a new log-in",
        "password_changed" => "notice that the password changed",
        "totp_enabled" => "notice that two-factor login was turned on",
        "totp_disabled" => "notice that two-factor login was turned off",
        "backup_code_used" => "notice that a backup code was used",
        "broker_linked" => "notice that a broker account was linked",
        "broker_credentials_changed" => "notice that broker credentials changed",
        "broker_key_refused" => "notice that a broker key was refused",
        "broker_key_rotation_due" => "reminder to rotate a broker key",
        "breach_notice" => "notice of a security breach",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

#[derive(Properties, PartialEq)]
pub struct SecurityLogCardProps {
    pub events: Remote<ResponseData>,
    pub on_retry: Callback<()>,
}

#[component]
pub fn SecurityLogCard(props: &SecurityLogCardProps) -> Html {
    let body = match &props.events {
        Remote::Loading => html! {
            <div class="skeleton" aria-busy="true" aria-label="Loading the security log">
                <span class="skeleton__line"></span>
                <span class="skeleton__line"></span>
                <span class="skeleton__line skeleton__line--short"></span>
            </div>
        },
        Remote::Failed(error) => failed(error, &props.on_retry),
        Remote::Ready(data) if data.security_events.is_empty() => html! {
            <EmptyState icon={IconName::Activity} title="Nothing logged yet">
                { "Log-ins, changes to your password and two-factor login, and broker accounts linked or unlinked will be listed here." }
            </EmptyState>
        },
        Remote::Ready(data) => html! {
            <ol class="events" data-testid="security-events">
                { for data.security_events.iter().map(entry) }
            </ol>
        },
    };
    html! {
        <SettingsCard
            id="security-log"
            icon={IconName::Activity}
            title="Recent security events"
            description="The newest first. If something here was not you, change your password."
        >
            { body }
        </SettingsCard>
    }
}

fn entry(event: &Event) -> Html {
    let (what, tone) = describe(&event.kind, event.detail.as_deref());
    let when = Clock::parse(&event.at)
        .map(|clock| clock.moment_label())
        .unwrap_or_else(|| event.at.clone());
    let device = device_label(event.user_agent.as_deref());
    html! {
        <li class={classes!("event", (tone == Tone::Notable).then_some("event--notable"))} data-kind={kind_name(&event.kind)}>
            <span class="event__marker" aria-hidden="true"></span>
            <div class="event__main">
                <p class="event__what">{ what }</p>
                <p class="event__device" title={event.user_agent.clone()}>{ device }</p>
            </div>
            <div class="event__meta">
                <time class="event__when" datetime={event.at.clone()}>{ when }</time>
                <span class="event__ip">{ event.ip.clone().map_or_else(|| "IP unknown".to_owned(), |ip| format!("IP {ip}")) }</span>
            </div>
        </li>
    }
}

/// The kind as the API names it, for the browser tests.
fn kind_name(kind: &SecurityEventKind) -> String {
    match kind {
        SecurityEventKind::REGISTERED => "REGISTERED",
        SecurityEventKind::LOGIN_SUCCEEDED => "LOGIN_SUCCEEDED",
        SecurityEventKind::LOGIN_FAILED => "LOGIN_FAILED",
        SecurityEventKind::PASSWORD_CHANGED => "PASSWORD_CHANGED",
        SecurityEventKind::LOGGED_OUT_EVERYWHERE => "LOGGED_OUT_EVERYWHERE",
        SecurityEventKind::TOTP_ENABLED => "TOTP_ENABLED",
        SecurityEventKind::TOTP_DISABLED => "TOTP_DISABLED",
        SecurityEventKind::BACKUP_CODE_USED => "BACKUP_CODE_USED",
        SecurityEventKind::BACKUP_CODES_REGENERATED => "BACKUP_CODES_REGENERATED",
        SecurityEventKind::BROKER_LINKED => "BROKER_LINKED",
        SecurityEventKind::BROKER_UNLINKED => "BROKER_UNLINKED",
        SecurityEventKind::BROKER_CREDENTIALS_CHANGED => "BROKER_CREDENTIALS_CHANGED",
        SecurityEventKind::BROKER_KEY_REFUSED => "BROKER_KEY_REFUSED",
        SecurityEventKind::ACCOUNT_LOCKED => "ACCOUNT_LOCKED",
        SecurityEventKind::REAUTHENTICATED => "REAUTHENTICATED",
        SecurityEventKind::ACCOUNT_DELETED => "ACCOUNT_DELETED",
        SecurityEventKind::WEBHOOK_CREATED => "WEBHOOK_CREATED",
        SecurityEventKind::WEBHOOK_ROTATED => "WEBHOOK_ROTATED",
        SecurityEventKind::WEBHOOK_ACCESS_CHANGED => "WEBHOOK_ACCESS_CHANGED",
        SecurityEventKind::KILL_SWITCH_USED => "KILL_SWITCH_USED",
        SecurityEventKind::VAULT_KEY_ROTATED => "VAULT_KEY_ROTATED",
        SecurityEventKind::API_TOKEN_CREATED => "API_TOKEN_CREATED",
        SecurityEventKind::API_TOKEN_REVOKED => "API_TOKEN_REVOKED",
        SecurityEventKind::EMAIL_VERIFIED => "EMAIL_VERIFIED",
        SecurityEventKind::PASSWORD_RESET_REQUESTED => "PASSWORD_RESET_REQUESTED",
        SecurityEventKind::PASSWORD_RESET => "PASSWORD_RESET",
        SecurityEventKind::EMAIL_SENT => "EMAIL_SENT",
        SecurityEventKind::BROKER_KEY_ROTATION_DUE => "BROKER_KEY_ROTATION_DUE",
        SecurityEventKind::Other(name) => name,
    }
    .to_owned()
}

fn failed(error: &ApiError, on_retry: &Callback<()>) -> Html {
    let onclick = on_retry.reform(|_: MouseEvent| ());
    html! {
        <div class="callout callout--error" role="alert">
            <p class="callout__title">{ "The security log could not be loaded" }</p>
            <p>{ error.to_string() }</p>
            <button class="button button--secondary" type="button" {onclick}>{ "Try again" }</button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_in_words() {
        let kinds = [
            SecurityEventKind::REGISTERED,
            SecurityEventKind::LOGIN_SUCCEEDED,
            SecurityEventKind::LOGIN_FAILED,
            SecurityEventKind::PASSWORD_CHANGED,
            SecurityEventKind::LOGGED_OUT_EVERYWHERE,
            SecurityEventKind::TOTP_ENABLED,
            SecurityEventKind::TOTP_DISABLED,
            SecurityEventKind::BACKUP_CODE_USED,
            SecurityEventKind::BACKUP_CODES_REGENERATED,
            SecurityEventKind::BROKER_LINKED,
            SecurityEventKind::BROKER_UNLINKED,
            SecurityEventKind::BROKER_CREDENTIALS_CHANGED,
            SecurityEventKind::BROKER_KEY_REFUSED,
            SecurityEventKind::ACCOUNT_LOCKED,
            SecurityEventKind::REAUTHENTICATED,
            SecurityEventKind::ACCOUNT_DELETED,
            SecurityEventKind::WEBHOOK_CREATED,
            SecurityEventKind::WEBHOOK_ROTATED,
            SecurityEventKind::WEBHOOK_ACCESS_CHANGED,
            SecurityEventKind::KILL_SWITCH_USED,
            SecurityEventKind::VAULT_KEY_ROTATED,
            SecurityEventKind::API_TOKEN_CREATED,
            SecurityEventKind::API_TOKEN_REVOKED,
            SecurityEventKind::EMAIL_VERIFIED,
            SecurityEventKind::PASSWORD_RESET_REQUESTED,
            SecurityEventKind::PASSWORD_RESET,
            SecurityEventKind::EMAIL_SENT,
            SecurityEventKind::BROKER_KEY_ROTATION_DUE,
        ];
        for kind in kinds {
            let (text, _) = describe(&kind, None);
            assert!(!text.contains('_'), "{text}");
            assert_ne!(text, kind_name(&kind), "{text}");
        }
        assert_eq!(
            describe(&SecurityEventKind::LOGIN_FAILED, None).1,
            Tone::Notable
        );
        assert_eq!(
            describe(&SecurityEventKind::BROKER_KEY_REFUSED, None).1,
            Tone::Notable
        );
        assert_eq!(
            describe(&SecurityEventKind::PASSWORD_RESET_REQUESTED, None).1,
            Tone::Notable
        );
    }

    #[test]
    fn a_sent_mail_says_which_in_words() {
        let sent = |detail| describe(&SecurityEventKind::EMAIL_SENT, Some(detail)).0;
        assert_eq!(
            sent("verify_email"),
            "Email sent: the link to confirm the email address"
        );
        assert_eq!(sent("password_reset"), "Email sent: a password reset link");
        for detail in [
            "new_sign_in",
            "password_changed",
            "totp_enabled",
            "totp_disabled",
            "backup_code_used",
            "broker_linked",
            "broker_credentials_changed",
            "broker_key_refused",
            "broker_key_rotation_due",
            "breach_notice",
        ] {
            let text = sent(detail);
            // Worded here, not the fallback that only swaps the underscores.
            assert_ne!(
                text,
                format!("Email sent: {}", detail.replace('_', " ")),
                "{detail}"
            );
        }
        // A mail this build does not know still reads, without underscores.
        assert_eq!(sent("weekly_digest"), "Email sent: weekly digest");
        assert_eq!(
            describe(&SecurityEventKind::EMAIL_SENT, None).0,
            "Email sent"
        );
    }

    #[test]
    fn unknown_kinds_keep_the_servers_name() {
        let kind = SecurityEventKind::Other("EMAIL_CHANGED".to_owned());
        assert_eq!(
            describe(&kind, None),
            ("EMAIL_CHANGED".to_owned(), Tone::Routine)
        );
    }
}
