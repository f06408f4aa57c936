//! Who is logged in, known once for the whole app.
//!
//! [`SessionProvider`] asks the server (`me`) when the app starts and shares the answer through
//! context; pages report what they change (a log-in, a new password, two-factor on or off, a
//! log-out) so the whole app follows without asking again. A change the page cannot describe
//! itself (an email link confirmed an address, perhaps another account's) asks the server
//! again ([`Session::refresh`]).
//!
//! Rules:
//! - The session itself is the server's HttpOnly cookie. The app only knows whose it is.
//! - A cookie can outlive its session (the password was changed on another device, every
//!   session was ended). Such a cookie makes the server refuse the live socket, so whenever the
//!   server says "not logged in", the app asks it to clear the cookie (`logout`), and the
//!   socket comes back as a visitor's.
//! - The server closes the live socket of a user whose sessions it revokes: when a logged-in
//!   app loses its socket, it asks `me` again, and a session that ended elsewhere logs this
//!   app out at once. Answers that arrive after the app changed the session itself, or while a
//!   page is changing it ([`Session::hold`]), are stale and ignored.
//! - Whenever the session changes, the live socket is reopened so it carries the new cookie.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::hooks::{use_link_status, use_live_client};
use crate::api::live::LinkStatus;
use crate::api::operations::{
    Logout, Me, change_password, login, logout, me, reauthenticate, register, reset_password,
};
use crate::api::{ApiError, fetch};

/// The logged-in user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    /// Whether logins (and password changes) need a second factor.
    pub totp_enabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// Whether the user opened the link in the verification email.
    pub email_verified: bool,
}

/// Why the app is logged out, when it was logged in a moment ago: the log-in page says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Farewell {
    /// The user logged out.
    LoggedOut,
    /// The server no longer accepts the session (ended elsewhere, or expired).
    SessionEnded,
    /// The user ended every session, this one included.
    LoggedOutEverywhere,
    AccountDeleted,
}

impl Farewell {
    pub fn message(self) -> &'static str {
        match self {
            Self::LoggedOut => "You are logged out.",
            Self::SessionEnded => {
                "Your session has ended, for instance because the password was changed on another device. Log in again."
            }
            Self::LoggedOutEverywhere => "You were logged out of every browser and device.",
            Self::AccountDeleted => "Your account and everything it held are deleted.",
        }
    }
}

/// What the app knows about the session.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    /// Asking the server.
    Checking,
    /// The server could not be asked; the app asks again when the live connection is back.
    Unknown(ApiError),
    LoggedOut(Option<Farewell>),
    LoggedIn(Rc<User>),
}

/// The session, and how pages report changes to it.
#[derive(Clone, PartialEq)]
pub struct Session {
    pub state: SessionState,
    /// A log-in, sign-up or password change succeeded: the server set a new cookie for `User`.
    pub started: Callback<User>,
    /// The user's facts changed within the same session (two-factor login on or off).
    pub updated: Callback<User>,
    /// The session is over. The server has cleared the cookie, except for
    /// [`Farewell::SessionEnded`], after which the app clears it.
    pub ended: Callback<Farewell>,
    /// Asks the server again (after [`SessionState::Unknown`]).
    pub retry: Callback<()>,
    /// Asks the server for the logged-in user's facts again, keeping what is shown meanwhile:
    /// after a change made outside this session's requests (an email link was opened).
    pub refresh: Callback<()>,
    holds: Rc<Cell<u32>>,
}

impl Session {
    /// The logged-in user, if any.
    pub fn user(&self) -> Option<Rc<User>> {
        match &self.state {
            SessionState::LoggedIn(user) => Some(Rc::clone(user)),
            _ => None,
        }
    }

    /// Marks a request that changes the session as under way until the guard is dropped: a
    /// password change closes this app's socket too, and the `me` that follows may still
    /// carry the old cookie, so its answer must not log the app out.
    pub fn hold(&self) -> SessionHold {
        self.holds.set(self.holds.get() + 1);
        SessionHold(Rc::clone(&self.holds))
    }
}

/// See [`Session::hold`].
#[must_use = "the hold ends when dropped"]
pub struct SessionHold(Rc<Cell<u32>>);

impl Drop for SessionHold {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

#[component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let state = use_state_eq(|| SessionState::Checking);
    let live = use_live_client();
    let link = use_link_status();
    // Bumped by every change the app makes itself: an answer to an older question is stale.
    let epoch = use_mut_ref(|| 0_u64);
    // Pages' holds (see `Session::hold`), counted across renders.
    let holds = (*use_memo((), |()| Rc::new(Cell::new(0_u32)))).clone();

    let check = {
        let state = state.clone();
        let live = live.clone();
        let epoch = epoch.clone();
        let holds = Rc::clone(&holds);
        Callback::from(move |question: Question| {
            let state = state.clone();
            let live = live.clone();
            let epoch = epoch.clone();
            let holds = Rc::clone(&holds);
            let asked_at = *epoch.borrow();
            let current = move || *epoch.borrow() == asked_at && holds.get() == 0;
            spawn_local(async move {
                let answer = fetch::<Me>(me::Variables).await;
                if !current() {
                    return;
                }
                match answer {
                    Ok(data) => state.set(SessionState::LoggedIn(Rc::new(User::from(data.me)))),
                    Err(error) if error.is_unauthenticated() => {
                        clear_cookie().await;
                        if !current() {
                            return;
                        }
                        let farewell =
                            (question == Question::StillLoggedIn).then_some(Farewell::SessionEnded);
                        state.set(SessionState::LoggedOut(farewell));
                        // A socket refused for a stale cookie is retried now, without it. (One
                        // still connecting is left alone: if it fails, its retry has no cookie.)
                        if live.status() == LinkStatus::Reconnecting {
                            live.reconnect();
                        }
                    }
                    // A failed re-check says nothing about the session: keep it.
                    Err(_) if question == Question::StillLoggedIn => {}
                    Err(error) => state.set(SessionState::Unknown(error)),
                }
            });
        })
    };

    {
        let check = check.clone();
        use_effect_with((), move |()| check.emit(Question::WhoIsIt));
    }
    {
        // The socket dropped while logged in: perhaps the server revoked the session. Or the
        // server is back after the first question failed.
        let check = check.clone();
        let logged_in = matches!(*state, SessionState::LoggedIn(_));
        let unknown = matches!(*state, SessionState::Unknown(_));
        use_effect_with(link, move |link| match link {
            LinkStatus::Reconnecting if logged_in => check.emit(Question::StillLoggedIn),
            LinkStatus::Live if unknown => check.emit(Question::WhoIsIt),
            _ => {}
        });
    }

    let started = {
        let state = state.clone();
        let live = live.clone();
        let epoch = epoch.clone();
        Callback::from(move |user: User| {
            *epoch.borrow_mut() += 1;
            state.set(SessionState::LoggedIn(Rc::new(user)));
            live.reconnect();
        })
    };
    let updated = {
        let state = state.clone();
        let epoch = epoch.clone();
        Callback::from(move |user: User| {
            *epoch.borrow_mut() += 1;
            state.set(SessionState::LoggedIn(Rc::new(user)));
        })
    };
    let ended = {
        let state = state.clone();
        let epoch = epoch.clone();
        Callback::from(move |farewell: Farewell| {
            *epoch.borrow_mut() += 1;
            state.set(SessionState::LoggedOut(Some(farewell)));
            let live = live.clone();
            spawn_local(async move {
                if farewell == Farewell::SessionEnded {
                    clear_cookie().await;
                }
                live.reconnect();
            });
        })
    };
    let refresh = {
        let check = check.clone();
        let logged_in = matches!(*state, SessionState::LoggedIn(_));
        Callback::from(move |()| {
            if logged_in {
                check.emit(Question::StillLoggedIn);
            }
        })
    };
    let retry = {
        let state = state.clone();
        Callback::from(move |()| {
            state.set(SessionState::Checking);
            check.emit(Question::WhoIsIt);
        })
    };

    let session = Session {
        state: (*state).clone(),
        started,
        updated,
        ended,
        retry,
        refresh,
        holds,
    };
    html! {
        <ContextProvider<Session> context={session}>
            { props.children.clone() }
        </ContextProvider<Session>>
    }
}

/// Why the app asks `me`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Question {
    /// At start, or after the server could not answer.
    WhoIsIt,
    /// Logged in, but the live socket dropped (the server may have ended the session), or the
    /// user's facts may have changed.
    StillLoggedIn,
}

/// Asks the server to drop this browser's cookie, which scripts cannot touch (HttpOnly). If
/// the server cannot be reached, the cookie stays, and the next check tries again.
async fn clear_cookie() {
    let _ = fetch::<Logout>(logout::Variables).await;
}

/// Every operation that starts a session answers with the same user fields; `graphql_client`
/// gives each answer its own type.
macro_rules! user_from {
    ($($answer:ty),+ $(,)?) => {$(
        impl From<$answer> for User {
            fn from(user: $answer) -> Self {
                Self {
                    id: user.id,
                    email: user.email,
                    totp_enabled: user.totp_enabled,
                    created_at: user.created_at,
                    email_verified: user.email_verified,
                }
            }
        }
    )+};
}

user_from!(
    me::MeMe,
    register::RegisterRegisterUser,
    login::LoginLoginUser,
    change_password::ChangePasswordChangePasswordUser,
    reauthenticate::ReauthenticateReauthenticateUser,
    reset_password::ResetPasswordResetPasswordUser,
);

/// The session, from the [`SessionProvider`] around the shell.
#[hook]
pub fn use_session() -> Session {
    use_context::<Session>().expect("app.rs wraps the shell in SessionProvider")
}
