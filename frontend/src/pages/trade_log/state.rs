//! The log as the page holds it: the pages loaded so far for the current filter, and where
//! the next one starts.
//!
//! Rules: every load of a first page (a new filter, a refresh) starts a new generation;
//! answers of an older generation are dropped, so a slow answer for the previous filter never
//! lands in the list. Live order updates change the listed copies in place; one about a
//! signal that is not listed means the list is behind, which the page offers to fix.

use std::rc::Rc;

use yew::prelude::*;

use super::model::Entry;
use super::model::{Order, Page, apply_update};
use crate::api::ApiError;

/// Where the first page stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Status {
    #[default]
    Loading,
    Ready,
    Failed(ApiError),
}

/// Where "Load more" stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum More {
    #[default]
    Idle,
    Loading,
    Failed(ApiError),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Log {
    pub generation: u32,
    pub entries: Vec<Entry>,
    /// The cursor after the last entry, if the server has more.
    pub next: Option<String>,
    pub status: Status,
    pub more: More,
    /// Copies changed on signals the list does not hold (newer ones), or the live feed had a
    /// gap: the list may be behind.
    pub behind: bool,
}

pub enum Action {
    /// A first page is being loaded for this generation.
    Start(u32),
    First(u32, Page),
    Failed(u32, ApiError),
    MoreStarted,
    More(u32, Page),
    MoreFailed(u32, ApiError),
    /// A copied order changed (live).
    Update(Order),
    /// The live feed resumed after a gap.
    Gap,
}

impl Reducible for Log {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut log = (*self).clone();
        match action {
            Action::Start(generation) => {
                log = Self {
                    generation,
                    ..Self::default()
                };
            }
            Action::First(generation, page) if generation == log.generation => {
                log.entries = page.entries;
                log.next = page.next;
                log.status = Status::Ready;
            }
            Action::Failed(generation, error) if generation == log.generation => {
                log.status = Status::Failed(error);
            }
            Action::MoreStarted => log.more = More::Loading,
            Action::More(generation, page) if generation == log.generation => {
                for entry in page.entries {
                    // A signal received between two pages can shift one onto the next.
                    if !log
                        .entries
                        .iter()
                        .any(|known| known.signal.id == entry.signal.id)
                    {
                        log.entries.push(entry);
                    }
                }
                log.next = page.next;
                log.more = More::Idle;
            }
            Action::MoreFailed(generation, error) if generation == log.generation => {
                log.more = More::Failed(error);
            }
            Action::Update(order) => {
                if !apply_update(&mut log.entries, order) && log.status == Status::Ready {
                    log.behind = true;
                }
            }
            Action::Gap => log.behind = log.status == Status::Ready,
            // An answer for a filter no longer shown.
            Action::First(..) | Action::Failed(..) | Action::More(..) | Action::MoreFailed(..) => {
                return self;
            }
        }
        Rc::new(log)
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::tests::{order, signal};
    use super::*;
    use crate::api::trading_operations::CopyStatus;

    fn page(ids: &[&str], next: Option<&str>) -> Page {
        Page {
            entries: ids
                .iter()
                .map(|id| Entry {
                    signal: signal(id, "2026-01-02T10:00:00Z"),
                    orders: vec![order(&format!("o-{id}"), id, CopyStatus::Filled)],
                })
                .collect(),
            next: next.map(str::to_owned),
        }
    }

    fn ids(log: &Log) -> Vec<&str> {
        log.entries
            .iter()
            .map(|entry| entry.signal.id.as_str())
            .collect()
    }

    fn run(actions: Vec<Action>) -> Rc<Log> {
        actions
            .into_iter()
            .fold(Rc::new(Log::default()), |log, action| log.reduce(action))
    }

    #[test]
    fn pages_add_up_without_repeating_a_signal() {
        let log = run(vec![
            Action::Start(1),
            Action::First(1, page(&["s3", "s2"], Some("c2"))),
            Action::MoreStarted,
            Action::More(1, page(&["s2", "s1"], None)),
        ]);
        assert_eq!(ids(&log), ["s3", "s2", "s1"]);
        assert_eq!(log.next, None);
        assert_eq!(log.more, More::Idle);
    }

    #[test]
    fn answers_for_an_older_filter_are_dropped() {
        let log = run(vec![
            Action::Start(1),
            Action::Start(2),
            Action::First(1, page(&["old"], None)),
            Action::First(2, page(&["new"], Some("c"))),
            Action::More(1, page(&["older"], None)),
        ]);
        assert_eq!(ids(&log), ["new"]);
        assert_eq!(log.next.as_deref(), Some("c"));
    }

    #[test]
    fn an_update_on_an_unlisted_signal_marks_the_list_behind() {
        let log = run(vec![
            Action::Start(1),
            Action::First(1, page(&["s1"], None)),
            Action::Update(order("o-s1", "s1", CopyStatus::Cancelled)),
        ]);
        assert!(!log.behind);
        assert_eq!(log.entries[0].orders[0].status, CopyStatus::Cancelled);
        let log = log.reduce(Action::Update(order("o-s9", "s9", CopyStatus::Pending)));
        assert!(log.behind);
    }
}
