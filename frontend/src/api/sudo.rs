//! Sudo mode, the client's half: the server refuses a change that can move money or lock the
//! user out (`REAUTH_REQUIRED`) when the session's last authentication is more than 2 hours
//! old. [`fetch`](super::fetch) then asks the user to confirm it is them, through this
//! hand-off, and resends the same request once they have (see `docs/security.md`).
//!
//! Rules:
//! - The prompt is a dialog mounted once at the app's root; it [`register`]s while mounted,
//!   and answers with [`settle`]. With no prompt mounted, nothing is asked.
//! - One question at a time: requests refused together wait for the same answer, so two
//!   sensitive actions at once ask once, and both go ahead (or neither).
//! - A request never waits for ever: a prompt that goes away declines for everyone waiting.
//! - No Yew here: the prompt is a plain function, like the rest of the transport.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::oneshot;

/// The prompt's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// The user confirmed: the session may now make the change.
    Confirmed,
    /// The user cancelled (or the prompt went away): the change is not made.
    Declined,
}

/// Opens the prompt.
type Opener = Rc<dyn Fn()>;

#[derive(Default)]
struct Slot {
    opener: Option<Opener>,
    /// Which registration the opener belongs to, so an old one dropped late clears nothing.
    registration: u64,
    /// Every request waiting for the answer; the first one opened the prompt.
    waiting: Vec<oneshot::Sender<Confirmation>>,
}

thread_local! {
    static SLOT: RefCell<Slot> = RefCell::default();
}

/// Asks the user to confirm it is them and waits for the answer; `None` when no prompt is
/// mounted to ask.
pub async fn confirm_identity() -> Option<Confirmation> {
    let (sender, receiver) = oneshot::channel();
    let opener = SLOT.with_borrow_mut(|slot| {
        let opener = slot.opener.clone()?;
        let first = slot.waiting.is_empty();
        slot.waiting.push(sender);
        Some(first.then_some(opener))
    })?;
    // Called outside the borrow: opening re-renders the prompt, which may register again.
    if let Some(open) = opener {
        open();
    }
    // A sender dropped without an answer is a prompt that went away.
    Some(receiver.await.unwrap_or(Confirmation::Declined))
}

/// The prompt's answer, for every request waiting for it.
pub fn settle(answer: Confirmation) {
    let waiting = SLOT.with_borrow_mut(|slot| std::mem::take(&mut slot.waiting));
    for sender in waiting {
        // A waiter that stopped waiting (its page went away) needs no answer.
        let _ = sender.send(answer);
    }
}

/// Whether a request is waiting for the prompt's answer.
#[cfg(test)]
fn is_asking() -> bool {
    SLOT.with_borrow(|slot| !slot.waiting.is_empty())
}

/// The prompt's registration: dropping it (the prompt unmounts) declines for everyone waiting.
#[must_use = "the prompt is unregistered when this is dropped"]
pub struct Registration(u64);

/// Makes `open` the way to ask, until the returned registration is dropped.
pub fn register(open: impl Fn() + 'static) -> Registration {
    SLOT.with_borrow_mut(|slot| {
        slot.registration += 1;
        slot.opener = Some(Rc::new(open));
        Registration(slot.registration)
    })
}

impl Drop for Registration {
    fn drop(&mut self) {
        let current = SLOT.with_borrow_mut(|slot| {
            let current = slot.registration == self.0;
            if current {
                slot.opener = None;
            }
            current
        });
        if current {
            settle(Confirmation::Declined);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    type Asking = Pin<Box<dyn Future<Output = Option<Confirmation>>>>;

    fn ask() -> Asking {
        Box::pin(confirm_identity())
    }

    fn poll(asking: &mut Asking) -> Poll<Option<Confirmation>> {
        asking
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    /// A prompt that counts how often it was opened.
    fn prompt() -> (Registration, Rc<Cell<u32>>) {
        let opened = Rc::new(Cell::new(0));
        let count = Rc::clone(&opened);
        (register(move || count.set(count.get() + 1)), opened)
    }

    #[test]
    fn without_a_prompt_nothing_is_asked() {
        assert_eq!(poll(&mut ask()), Poll::Ready(None));
        assert!(!is_asking());
    }

    #[test]
    fn a_refused_request_waits_for_the_users_answer() {
        let (_prompt, opened) = prompt();
        let mut asking = ask();
        assert_eq!(poll(&mut asking), Poll::Pending);
        assert_eq!(opened.get(), 1);
        assert!(is_asking());
        settle(Confirmation::Confirmed);
        assert_eq!(
            poll(&mut asking),
            Poll::Ready(Some(Confirmation::Confirmed))
        );
        assert!(!is_asking());
    }

    #[test]
    fn requests_refused_together_ask_once_and_share_the_answer() {
        let (_prompt, opened) = prompt();
        let (mut first, mut second) = (ask(), ask());
        assert_eq!(poll(&mut first), Poll::Pending);
        assert_eq!(poll(&mut second), Poll::Pending);
        assert_eq!(opened.get(), 1, "the prompt opens once");
        settle(Confirmation::Declined);
        assert_eq!(poll(&mut first), Poll::Ready(Some(Confirmation::Declined)));
        assert_eq!(poll(&mut second), Poll::Ready(Some(Confirmation::Declined)));

        // The next refusal asks again.
        let mut third = ask();
        assert_eq!(poll(&mut third), Poll::Pending);
        assert_eq!(opened.get(), 2);
        settle(Confirmation::Confirmed);
        assert_eq!(poll(&mut third), Poll::Ready(Some(Confirmation::Confirmed)));
    }

    #[test]
    fn a_prompt_that_goes_away_declines_and_an_old_registration_clears_nothing() {
        let (old, _) = prompt();
        let (new, opened) = prompt();
        drop(old);
        let mut asking = ask();
        assert_eq!(
            poll(&mut asking),
            Poll::Pending,
            "the newer prompt still asks"
        );
        assert_eq!(opened.get(), 1);
        drop(new);
        assert_eq!(poll(&mut asking), Poll::Ready(Some(Confirmation::Declined)));
        assert_eq!(poll(&mut ask()), Poll::Ready(None));
    }
}
