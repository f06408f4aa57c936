//! Security notices: a mail to the account's address when something that matters to its
//! safety happens (docs/security.md, "Security notices"), so that a user whose password or
//! session was stolen hears of it even when the thief is careful.
//!
//! A notice says what happened, when, and from where, and what to do if it was not the user;
//! it never holds a secret. A notice that cannot be queued is logged; the action it is about
//! has happened and stays done.

use super::db;
use super::{Auth, RequestMeta, SecurityEventKind, User};
use crate::db::types::Id;
use crate::mail::MailKind;

/// The notice an event gets, if any: its kind, subject and first sentence.
fn notice_for(kind: SecurityEventKind) -> Option<(MailKind, &'static str, &'static str)> {
    use SecurityEventKind as Event;
    Some(match kind {
        Event::PasswordChanged => (
            MailKind::PasswordChanged,
            "Your CopyTrade password was changed",
            "the password of your CopyTrade account was changed. Every other session and every API token ended.",
        ),
        Event::PasswordReset => (
            MailKind::PasswordChanged,
            "Your CopyTrade password was reset",
            "the password of your CopyTrade account was reset through a link we mailed you. Every session and every API token ended.",
        ),
        Event::TotpEnabled => (
            MailKind::TotpEnabled,
            "Two-factor login is on for your CopyTrade account",
            "two-factor login was turned on for your CopyTrade account: logging in now needs a code from your authenticator app.",
        ),
        Event::TotpDisabled => (
            MailKind::TotpDisabled,
            "Two-factor login was turned off for your CopyTrade account",
            "two-factor login was turned off for your CopyTrade account: logging in now needs only the password.",
        ),
        Event::BackupCodeUsed => (
            MailKind::BackupCodeUsed,
            "A backup code was used on your CopyTrade account",
            "one of your two-factor backup codes was used. It no longer works; the others still do.",
        ),
        Event::BrokerLinked => (
            MailKind::BrokerLinked,
            "A broker account was linked to CopyTrade",
            "a broker account was linked to your CopyTrade account: orders can now be placed on it.",
        ),
        Event::BrokerCredentialsChanged => (
            MailKind::BrokerCredentialsChanged,
            "Broker credentials were changed on CopyTrade",
            "the credentials of a broker account linked to your CopyTrade account were changed.",
        ),
        Event::BrokerKeyRefused => (
            MailKind::BrokerKeyRefused,
            "CopyTrade refused a broker key that can withdraw funds",
            "a broker API key was refused because it can withdraw funds. CopyTrade never stores such a key, and a linked key that gains the right stops trading. Make a key that can only trade, and remove the withdrawal right at your broker.",
        ),
        Event::BrokerKeyRotationDue => (
            MailKind::BrokerKeyRotationDue,
            "A broker key on CopyTrade is due for rotation",
            "a broker key linked to your CopyTrade account is 30 days old. Make a new trade-only key at your broker, enter it on the Accounts page, then delete the old key at the broker.",
        ),
        _ => return None,
    })
}

/// Where an action came from, in words for a mail.
pub(super) fn origin(meta: Option<&RequestMeta>) -> String {
    match meta {
        Some(meta) => match &meta.user_agent {
            Some(agent) => format!(
                "IP address {}, browser or app \"{}\"",
                meta.ip,
                agent.chars().take(200).collect::<String>()
            ),
            None => format!("IP address {}", meta.ip),
        },
        None => "CopyTrade itself (its daily check of linked keys)".to_owned(),
    }
}

impl Auth {
    /// Mails the notice `kind` calls for, if any (`meta`: the request it came from; `None` for
    /// the server's own checks).
    pub(super) async fn send_notice(
        &self,
        user_id: Id,
        kind: SecurityEventKind,
        meta: Option<&RequestMeta>,
    ) {
        let Some((mail_kind, subject, what)) = notice_for(kind) else {
            return;
        };
        self.notify(user_id, mail_kind, subject, what, meta).await;
    }

    /// A sign-in from a new device (a browser without our device cookie for this account) or
    /// from an address the account has never signed in from.
    pub(super) async fn notice_if_new_sign_in(
        &self,
        user: &User,
        known_device: bool,
        meta: &RequestMeta,
    ) {
        if !self.mail.is_enabled() {
            return;
        }
        let known_address =
            match db::has_signed_in_from(&self.db, user.id, &meta.ip.to_string()).await {
                Ok(known) => known,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot tell whether a sign-in is new");
                    return;
                }
            };
        let what = match (known_device, known_address) {
            (true, true) => return,
            (false, true) => {
                "your CopyTrade account was signed in to from a new browser or device (at an address it was used from before)."
            }
            (true, false) => {
                "your CopyTrade account was signed in to from a new address (in a browser it was used in before)."
            }
            (false, false) => {
                "your CopyTrade account was signed in to from a new browser or device, at an address it has not been used from before."
            }
        };
        self.notify(
            user.id,
            MailKind::NewSignIn,
            "New sign-in to your CopyTrade account",
            what,
            Some(meta),
        )
        .await;
    }

    async fn notify(
        &self,
        user_id: Id,
        kind: MailKind,
        subject: &str,
        what: &str,
        meta: Option<&RequestMeta>,
    ) {
        if !self.mail.is_enabled() {
            return;
        }
        let user = match db::user_by_id(&self.db, user_id).await {
            Ok(Some(row)) => row.to_user(),
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "a security notice could not be queued");
                return;
            }
        };
        let url = self.mail.public_url();
        let text = format!(
            "Hello,\n\n\
             {what}\n\n\
             When: {}\n\
             From: {}\n\n\
             If this was you, there is nothing to do.\n\n\
             If it was not you, act now: change your password ({url}/settings; if you cannot log \
             in, use \"Forgot password?\" on the login page), turn on two-factor login, use \"Log \
             out everywhere\", and check your linked broker accounts ({url}/accounts) and your \
             security log.\n\n\
             CopyTrade at {url}\n",
            self.current_time().format("%Y-%m-%d %H:%M:%S UTC"),
            origin(meta)
        );
        if let Err(err) = self.queue_mail(&user, kind, subject, text).await {
            tracing::warn!(error = %err, kind = kind.as_str(), "a security notice could not be queued");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_the_issue_names_has_a_mail() {
        for kind in [
            SecurityEventKind::PasswordChanged,
            SecurityEventKind::PasswordReset,
            SecurityEventKind::TotpEnabled,
            SecurityEventKind::TotpDisabled,
            SecurityEventKind::BackupCodeUsed,
            SecurityEventKind::BrokerLinked,
            SecurityEventKind::BrokerCredentialsChanged,
            SecurityEventKind::BrokerKeyRefused,
            SecurityEventKind::BrokerKeyRotationDue,
        ] {
            assert!(notice_for(kind).is_some(), "{kind:?}");
        }
        assert!(notice_for(SecurityEventKind::LoginFailed).is_none());
    }
}
