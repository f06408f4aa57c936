//! `AUTH PLAIN` (RFC 4616) and `AUTH LOGIN` (the de facto form lettre and most clients speak),
//! as RFC 4954 frames them: offered after `EHLO` only when the sink was started with a user,
//! once per session, never inside a transaction. A wrong user or password gets `535`; a client
//! that answers `*` cancels with `501`. The password is compared in constant time.

use std::io;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::lines::Line;
use crate::smtp::{AUTH_LINE_MAX, Flow, Session};

/// Why an exchange ended without a verdict on the credentials.
enum Abort {
    /// The client cancelled or sent something that is not base64 (501 sent).
    Answered,
    /// The connection ended.
    Closed,
}

pub(crate) async fn command(session: &mut Session<'_>, args: &str) -> io::Result<Flow> {
    let Some((user, password)) = session.config.auth.clone() else {
        session.reply(502, &["AUTH not available"]).await?;
        return Ok(Flow::Continue);
    };
    let refusal = if !session.esmtp {
        Some("send EHLO first")
    } else if session.auth_user.is_some() {
        Some("already authenticated")
    } else if session.in_transaction() {
        Some("AUTH not permitted during a mail transaction")
    } else {
        None
    };
    if let Some(text) = refusal {
        session.reply(503, &[text]).await?;
        return Ok(Flow::Continue);
    }
    let (mechanism, initial) = args.trim().split_once(' ').unwrap_or((args.trim(), ""));
    let initial = (!initial.is_empty()).then_some(initial);
    let offered = match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => plain(session, initial).await?,
        "LOGIN" => login(session, initial).await?,
        _ => {
            session
                .reply(504, &["unrecognized authentication type"])
                .await?;
            return Ok(Flow::Continue);
        }
    };
    match offered {
        Ok((offered_user, offered_password)) => {
            if offered_user == user
                && constant_time_eq(offered_password.as_bytes(), password.as_bytes())
            {
                session.auth_user = Some(offered_user);
                session.reply(235, &["authentication successful"]).await?;
            } else {
                session
                    .reply(535, &["authentication credentials invalid"])
                    .await?;
            }
            Ok(Flow::Continue)
        }
        Err(Abort::Answered) => Ok(Flow::Continue),
        Err(Abort::Closed) => Ok(Flow::Close),
    }
}

/// RFC 4616: `[authzid] NUL authcid NUL passwd`, from the initial response or after an empty
/// `334` challenge. An authorization identity other than the user is refused like a wrong
/// password.
async fn plain(
    session: &mut Session<'_>,
    initial: Option<&str>,
) -> io::Result<Result<(String, String), Abort>> {
    let message = match initial {
        Some(text) => decode(session, text.as_bytes()).await?,
        None => challenge(session, "").await?,
    };
    let message = match message {
        Ok(message) => message,
        Err(abort) => return Ok(Err(abort)),
    };
    let fields: Vec<&[u8]> = message.split(|&b| b == 0).collect();
    let [authzid, authcid, passwd] = fields.as_slice() else {
        session.reply(501, &["malformed PLAIN message"]).await?;
        return Ok(Err(Abort::Answered));
    };
    let user = String::from_utf8_lossy(authcid).into_owned();
    let password = String::from_utf8_lossy(passwd).into_owned();
    if !authzid.is_empty() && *authzid != *authcid {
        // Acting for another user is never allowed here: answered as invalid credentials.
        return Ok(Ok((String::new(), password)));
    }
    Ok(Ok((user, password)))
}

/// `LOGIN`: the user name (`Username:`) then the password (`Password:`), each base64.
async fn login(
    session: &mut Session<'_>,
    initial: Option<&str>,
) -> io::Result<Result<(String, String), Abort>> {
    let user = match initial {
        Some(text) => decode(session, text.as_bytes()).await?,
        None => challenge(session, "Username:").await?,
    };
    let user = match user {
        Ok(user) => user,
        Err(abort) => return Ok(Err(abort)),
    };
    let password = match challenge(session, "Password:").await? {
        Ok(password) => password,
        Err(abort) => return Ok(Err(abort)),
    };
    Ok(Ok((
        String::from_utf8_lossy(&user).into_owned(),
        String::from_utf8_lossy(&password).into_owned(),
    )))
}

/// Sends a `334` challenge and reads the base64 answer.
async fn challenge(session: &mut Session<'_>, prompt: &str) -> io::Result<Result<Vec<u8>, Abort>> {
    session.reply(334, &[&STANDARD.encode(prompt)]).await?;
    match session.read(AUTH_LINE_MAX).await? {
        Line::Closed => Ok(Err(Abort::Closed)),
        Line::TooLong { .. } => {
            session.reply(500, &["line too long"]).await?;
            Ok(Err(Abort::Answered))
        }
        Line::Complete { .. } => {
            let answer = session.buf.clone();
            decode(session, answer.trim_ascii_end()).await
        }
    }
}

/// Decodes a response; `*` cancels (RFC 4954 §4), `=` is an empty initial response.
async fn decode(session: &mut Session<'_>, text: &[u8]) -> io::Result<Result<Vec<u8>, Abort>> {
    if text == b"*" {
        session.reply(501, &["authentication cancelled"]).await?;
        return Ok(Err(Abort::Answered));
    }
    if text == b"=" {
        return Ok(Ok(Vec::new()));
    }
    match STANDARD.decode(text) {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(_) => {
            session.reply(501, &["cannot decode response"]).await?;
            Ok(Err(Abort::Answered))
        }
    }
}

/// Equality whose time depends only on the lengths, not on where the bytes differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
