//! A follower's settings: what the form holds (text as typed) and what the API takes.
//!
//! Rules: the form refuses only what it could not send (a number that is no number, half a
//! symbol mapping, one end of the trading hours); whether a value is sensible is the server's
//! call, and its `INVALID_INPUT` errors name the field. An edit sends only the settings that
//! changed, and `null` for one that was emptied. Pure functions, tested on the host.

use yew::Reducible;

use std::rc::Rc;

use crate::api::copy_group_operations::add_follower::{AddFollowerInput, SymbolMappingInput};
use crate::api::copy_group_operations::copy_groups::CopyGroupsCopyGroupsFollowers as Follower;
use crate::api::copy_group_operations::patch_follower::{self, FollowerPatch};
use crate::feedback::{Feedback, Form};

/// The follower form's inputs, by the API field each fills.
pub const FOLLOWER_FORM: Form = Form {
    fields: &[
        ("tradingAccountId", "Account"),
        ("multiplier", "Multiplier"),
        ("fixedQuantity", "Fixed quantity"),
        ("maxQuantity", "Max order quantity"),
        ("maxPosition", "Max position"),
        ("symbolMap", "Symbol map"),
        ("symbolMap.from", "Signal symbol"),
        ("symbolMap.to", "Traded as"),
        ("dailyLossLimit", "Daily loss limit"),
        ("tradingHours", "Trading hours"),
    ],
    password_field: None,
    code_field: None,
    backup_codes: false,
};

/// The API fields of the symbol map, whose errors show under the map's editor.
pub const SYMBOL_MAP_FIELDS: [&str; 3] = ["symbolMap", "symbolMap.from", "symbolMap.to"];

/// The signal's symbol `from` traded as `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub from: String,
    pub to: String,
}

/// A follower's settings as the API holds them.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub multiplier: f64,
    pub fixed_quantity: Option<f64>,
    pub max_quantity: Option<f64>,
    pub max_position: Option<f64>,
    pub invert: bool,
    pub symbol_map: Vec<Mapping>,
    pub daily_loss_limit: Option<f64>,
    /// `HH:MM-HH:MM`, UTC.
    pub trading_hours: Option<String>,
}

impl Settings {
    pub fn of(follower: &Follower) -> Self {
        Self {
            multiplier: follower.multiplier,
            fixed_quantity: follower.fixed_quantity,
            max_quantity: follower.max_quantity,
            max_position: follower.max_position,
            invert: follower.invert,
            symbol_map: follower
                .symbol_map
                .iter()
                .map(|mapping| Mapping {
                    from: mapping.from.clone(),
                    to: mapping.to.clone(),
                })
                .collect(),
            daily_loss_limit: follower.daily_loss_limit,
            trading_hours: follower.trading_hours.clone(),
        }
    }

    /// `addFollower`'s input for these settings.
    pub fn add_input(&self, copy_group_id: &str, trading_account_id: &str) -> AddFollowerInput {
        AddFollowerInput {
            copy_group_id: copy_group_id.to_owned(),
            trading_account_id: trading_account_id.to_owned(),
            multiplier: self.multiplier,
            fixed_quantity: self.fixed_quantity,
            max_quantity: self.max_quantity,
            max_position: self.max_position,
            invert: self.invert,
            symbol_map: self
                .symbol_map
                .iter()
                .map(|mapping| SymbolMappingInput {
                    from: mapping.from.clone(),
                    to: mapping.to.clone(),
                })
                .collect(),
            daily_loss_limit: self.daily_loss_limit,
            trading_hours: self.trading_hours.clone(),
        }
    }

    /// `updateFollower`'s input turning `self` into `new`: the changed fields only.
    pub fn patch(&self, id: &str, new: &Self) -> FollowerPatch {
        fn changed<T: PartialEq + Clone>(old: &T, new: &T) -> Option<T> {
            (old != new).then(|| new.clone())
        }
        FollowerPatch {
            id: id.to_owned(),
            multiplier: changed(&self.multiplier, &new.multiplier),
            fixed_quantity: changed(&self.fixed_quantity, &new.fixed_quantity),
            max_quantity: changed(&self.max_quantity, &new.max_quantity),
            max_position: changed(&self.max_position, &new.max_position),
            invert: changed(&self.invert, &new.invert),
            symbol_map: changed(&self.symbol_map, &new.symbol_map).map(|map| {
                map.into_iter()
                    .map(|mapping| patch_follower::SymbolMappingInput {
                        from: mapping.from,
                        to: mapping.to,
                    })
                    .collect()
            }),
            daily_loss_limit: changed(&self.daily_loss_limit, &new.daily_loss_limit),
            trading_hours: changed(&self.trading_hours, &new.trading_hours),
        }
    }
}

/// A text input of the follower form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Multiplier,
    FixedQuantity,
    MaxQuantity,
    MaxPosition,
    DailyLossLimit,
    HoursFrom,
    HoursUntil,
}

/// What the follower form holds: each input's text as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub multiplier: String,
    pub fixed_quantity: String,
    pub max_quantity: String,
    pub max_position: String,
    pub invert: bool,
    /// Rows of (signal symbol, traded as).
    pub symbol_map: Vec<(String, String)>,
    pub daily_loss_limit: String,
    pub hours_from: String,
    pub hours_until: String,
}

impl Default for Draft {
    /// A new follower: the signal's quantity as is, no limits.
    fn default() -> Self {
        Self {
            multiplier: "1".to_owned(),
            fixed_quantity: String::new(),
            max_quantity: String::new(),
            max_position: String::new(),
            invert: false,
            symbol_map: Vec::new(),
            daily_loss_limit: String::new(),
            hours_from: String::new(),
            hours_until: String::new(),
        }
    }
}

impl From<&Settings> for Draft {
    fn from(settings: &Settings) -> Self {
        let text = |value: Option<f64>| value.map(number_label).unwrap_or_default();
        let (hours_from, hours_until) = settings
            .trading_hours
            .as_deref()
            .and_then(|hours| hours.split_once('-'))
            .map_or_else(Default::default, |(from, until)| {
                (from.to_owned(), until.to_owned())
            });
        Self {
            multiplier: number_label(settings.multiplier),
            fixed_quantity: text(settings.fixed_quantity),
            max_quantity: text(settings.max_quantity),
            max_position: text(settings.max_position),
            invert: settings.invert,
            symbol_map: settings
                .symbol_map
                .iter()
                .map(|mapping| (mapping.from.clone(), mapping.to.clone()))
                .collect(),
            daily_loss_limit: text(settings.daily_loss_limit),
            hours_from,
            hours_until,
        }
    }
}

impl Draft {
    pub fn text(&self, input: Input) -> &str {
        match input {
            Input::Multiplier => &self.multiplier,
            Input::FixedQuantity => &self.fixed_quantity,
            Input::MaxQuantity => &self.max_quantity,
            Input::MaxPosition => &self.max_position,
            Input::DailyLossLimit => &self.daily_loss_limit,
            Input::HoursFrom => &self.hours_from,
            Input::HoursUntil => &self.hours_until,
        }
    }

    /// The settings typed, or the message for the first input that cannot be sent.
    pub fn settings(&self) -> Result<Settings, Feedback> {
        let multiplier =
            number(&self.multiplier, "multiplier", "The multiplier")?.ok_or_else(|| {
                Feedback::at(
                    "multiplier",
                    "Enter a multiplier: 1 copies the signal's quantity as is.",
                )
            })?;
        let mut symbol_map = Vec::new();
        for (row, (from, to)) in self.symbol_map.iter().enumerate() {
            let (from, to) = (from.trim(), to.trim());
            match (from.is_empty(), to.is_empty()) {
                (true, true) => {}
                (false, false) => symbol_map.push(Mapping {
                    from: from.to_owned(),
                    to: to.to_owned(),
                }),
                _ => {
                    return Err(Feedback::at(
                        "symbolMap",
                        format!("Fill in both symbols of mapping {}, or remove it.", row + 1),
                    ));
                }
            }
        }
        let (from, until) = (self.hours_from.trim(), self.hours_until.trim());
        let trading_hours = match (from.is_empty(), until.is_empty()) {
            (true, true) => None,
            (false, false) => Some(format!("{from}-{until}")),
            _ => {
                return Err(Feedback::at(
                    "tradingHours",
                    "Give both a start and an end (like 13:30 and 20:00), or leave both empty.",
                ));
            }
        };
        Ok(Settings {
            multiplier,
            fixed_quantity: number(&self.fixed_quantity, "fixedQuantity", "The fixed quantity")?,
            max_quantity: number(&self.max_quantity, "maxQuantity", "The max order quantity")?,
            max_position: number(&self.max_position, "maxPosition", "The max position")?,
            invert: self.invert,
            symbol_map,
            daily_loss_limit: number(
                &self.daily_loss_limit,
                "dailyLossLimit",
                "The daily loss limit",
            )?,
            trading_hours,
        })
    }
}

/// A change to the draft.
pub enum Edit {
    Text(Input, String),
    Invert(bool),
    AddMapping,
    RemoveMapping(usize),
    MappingFrom(usize, String),
    MappingTo(usize, String),
}

impl Reducible for Draft {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut draft = (*self).clone();
        match edit {
            Edit::Text(input, text) => {
                let slot = match input {
                    Input::Multiplier => &mut draft.multiplier,
                    Input::FixedQuantity => &mut draft.fixed_quantity,
                    Input::MaxQuantity => &mut draft.max_quantity,
                    Input::MaxPosition => &mut draft.max_position,
                    Input::DailyLossLimit => &mut draft.daily_loss_limit,
                    Input::HoursFrom => &mut draft.hours_from,
                    Input::HoursUntil => &mut draft.hours_until,
                };
                *slot = text;
            }
            Edit::Invert(on) => draft.invert = on,
            Edit::AddMapping => draft.symbol_map.push((String::new(), String::new())),
            Edit::RemoveMapping(row) => {
                if row < draft.symbol_map.len() {
                    draft.symbol_map.remove(row);
                }
            }
            Edit::MappingFrom(row, text) => {
                if let Some(mapping) = draft.symbol_map.get_mut(row) {
                    mapping.0 = text;
                }
            }
            Edit::MappingTo(row, text) => {
                if let Some(mapping) = draft.symbol_map.get_mut(row) {
                    mapping.1 = text;
                }
            }
        }
        Rc::new(draft)
    }
}

/// A number as typed, `None` when empty. Only a dot marks decimals: `0,5` is refused rather
/// than read as 5, since a size off by ten is the costliest typo a copier can make.
fn number(text: &str, field: &'static str, what: &str) -> Result<Option<f64>, Feedback> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite())
        .map(Some)
        .ok_or_else(|| {
            Feedback::at(
                field,
                format!(
                    "{what} must be a number, like 2 or 0.5 (a dot for decimals, no separators)."
                ),
            )
        })
}

/// A size or ratio as typed back: `2`, `0.5`, `1500`.
pub fn number_label(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            multiplier: 2.0,
            fixed_quantity: None,
            max_quantity: Some(5.0),
            max_position: None,
            invert: false,
            symbol_map: vec![Mapping {
                from: "ES".to_owned(),
                to: "MES".to_owned(),
            }],
            daily_loss_limit: Some(1500.0),
            trading_hours: Some("13:30-20:00".to_owned()),
        }
    }

    #[test]
    fn a_new_draft_copies_the_signals_quantity_without_limits() {
        let typed = Draft::default().settings().expect("the defaults are valid");
        assert_eq!(typed.multiplier, 1.0);
        assert_eq!(typed.fixed_quantity, None);
        assert!(typed.symbol_map.is_empty());
        assert_eq!(typed.trading_hours, None);
    }

    #[test]
    fn saved_settings_fill_the_form_and_read_back_unchanged() {
        let draft = Draft::from(&settings());
        assert_eq!(draft.multiplier, "2");
        assert_eq!(draft.max_quantity, "5");
        assert_eq!(draft.daily_loss_limit, "1500");
        assert_eq!(
            (draft.hours_from.as_str(), draft.hours_until.as_str()),
            ("13:30", "20:00")
        );
        assert_eq!(draft.settings(), Ok(settings()));
    }

    #[test]
    fn numbers_take_a_dot_only_and_name_their_field() {
        let draft = Draft {
            max_position: "0,5".to_owned(),
            ..Draft::default()
        };
        let refused = draft.settings().expect_err("a comma is refused");
        assert!(refused.for_field("maxPosition").is_some());
        let draft = Draft {
            multiplier: " ".to_owned(),
            ..Draft::default()
        };
        assert!(
            draft
                .settings()
                .expect_err("a multiplier is needed")
                .for_field("multiplier")
                .is_some()
        );
        let draft = Draft {
            fixed_quantity: " 0.25 ".to_owned(),
            ..Draft::default()
        };
        assert_eq!(draft.settings().map(|s| s.fixed_quantity), Ok(Some(0.25)));
    }

    #[test]
    fn empty_mapping_rows_are_dropped_and_half_ones_refused() {
        let mut draft = Draft::default();
        draft.symbol_map = vec![
            (" ES ".to_owned(), "MES".to_owned()),
            (String::new(), "  ".to_owned()),
        ];
        assert_eq!(
            draft.settings().map(|s| s.symbol_map),
            Ok(vec![Mapping {
                from: "ES".to_owned(),
                to: "MES".to_owned()
            }])
        );
        draft.symbol_map.push(("NQ".to_owned(), String::new()));
        assert_eq!(
            draft
                .settings()
                .expect_err("half a mapping")
                .for_field("symbolMap"),
            Some("Fill in both symbols of mapping 3, or remove it.".to_owned())
        );
    }

    #[test]
    fn trading_hours_need_both_ends_and_are_left_to_the_server_to_check() {
        let mut draft = Draft {
            hours_from: "9".to_owned(),
            ..Draft::default()
        };
        assert!(
            draft
                .settings()
                .expect_err("one end")
                .for_field("tradingHours")
                .is_some()
        );
        draft.hours_until = "5".to_owned();
        assert_eq!(
            draft.settings().map(|s| s.trading_hours),
            Ok(Some("9-5".to_owned()))
        );
    }

    #[test]
    fn an_edit_sends_what_changed_and_null_for_what_was_emptied() {
        let old = settings();
        let new = Settings {
            multiplier: 3.0,
            max_quantity: None,
            ..settings()
        };
        let patch = old.patch("f1", &new);
        assert_eq!(
            serde_json::to_value(&patch).expect("serializable"),
            serde_json::json!({ "id": "f1", "multiplier": 3.0, "maxQuantity": null })
        );
        assert!(old.patch("f1", &settings()).is_empty());
    }

    #[test]
    fn the_draft_changes_one_input_or_row_at_a_time() {
        let draft = Rc::new(Draft::default());
        let draft = draft.reduce(Edit::AddMapping);
        let draft = draft.reduce(Edit::MappingFrom(0, "ES".to_owned()));
        let draft = draft.reduce(Edit::MappingTo(0, "MES".to_owned()));
        let draft = draft.reduce(Edit::AddMapping);
        let draft = draft.reduce(Edit::RemoveMapping(1));
        let draft = draft.reduce(Edit::Text(Input::HoursFrom, "13:30".to_owned()));
        assert_eq!(draft.symbol_map, vec![("ES".to_owned(), "MES".to_owned())]);
        assert_eq!(draft.text(Input::HoursFrom), "13:30");
        assert_eq!(draft.text(Input::Multiplier), "1");
    }
}
