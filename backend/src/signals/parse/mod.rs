//! Turns a webhook body into a validated [`Signal`]: pure, no I/O (docs/brokers.md §8 and §9).
//!
//! Rules: the body is read as bytes whatever its content type, since TradingView sends JSON as
//! `text/plain` or `application/json`. It is a JSON object, or text holding one (the outermost
//! `{...}`). Fields follow TradersPost (`ticker`, `action`, `sentiment`, `quantity`, `orderType`,
//! `price`, `takeProfit`, `stopLoss`, ...) with a few aliases (`symbol`, `order_type`,
//! `signalId`), so existing alerts work unchanged. TradingView substitutes placeholders as text,
//! so numbers may be strings. A null or blank value counts as absent, but an unsubstituted
//! `{{placeholder}}` in a field we read is an error: the alert would otherwise trade on a guess.
//! Unknown fields are ignored. Errors name the field as the sender spelled it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Buy,
    Sell,
    Exit,
    Cancel,
    Add,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalOrderType {
    Market,
    Limit,
    Stop,
    StopLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Long,
    Short,
    Flat,
}

/// A take-profit or stop-loss, as the sender gave it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Target {
    Price(f64),
    Ticks(f64),
    Percent(f64),
    Amount(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    /// Trimmed, as sent (`ES1!`, `BTCUSDT.P`, `NQH26`): 1 to 40 characters, no spaces.
    pub ticker: String,
    pub action: Action,
    /// Greater than 0 when given; absent lets the follower's fixed quantity apply.
    pub quantity: Option<f64>,
    pub order_type: SignalOrderType,
    /// The signal's reference price: `price`, else `signalPrice`.
    pub price: Option<f64>,
    /// `limitPrice`, else `price` for limit and stop-limit orders.
    pub limit_price: Option<f64>,
    pub stop_price: Option<f64>,
    pub take_profit: Option<Target>,
    pub stop_loss: Option<Target>,
    pub sentiment: Option<Sentiment>,
    /// The de-duplication id, 1 to 128 characters, as text even when sent as a number.
    pub id: Option<String>,
}

/// What is wrong, naming the field (in the sender's spelling, e.g. "action", "takeProfit.percent", "body").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SignalError {
    pub field: String,
    pub message: String,
}

impl SignalError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

const MAX_TICKER_CHARS: usize = 40;
const MAX_ID_CHARS: usize = 128;
/// Longest value quoted back in an error message, so messages stay short.
const MAX_SHOWN_CHARS: usize = 40;
const EXAMPLE: &str = r#"send e.g. {"ticker":"ES1!","action":"buy","quantity":1}"#;
const ACTIONS: &str = "buy, sell, exit, cancel or add";
const TARGET_KEYS: &str = "limitPrice, stopPrice, price, ticks, percent or amount";
const TRAILING_UNSUPPORTED: &str = "trailing stops are not supported yet";

/// Parses a webhook body. TradingView sends JSON as text/plain or application/json: ignore any
/// content type, parse the bytes. The body may be JSON wrapped in whitespace, or text that
/// holds a JSON object (e.g. `Alert: {"ticker": ...}` — take the outermost {...}).
pub fn parse(body: &[u8]) -> Result<Signal, SignalError> {
    let object = read_object(body)?;
    let fields = Fields {
        object: &object,
        prefix: None,
    };

    let ticker = ticker(&fields)?;
    let sentiment = fields.choice(
        &["sentiment"],
        "a sentiment",
        "long, short or flat",
        sentiment,
    )?;
    let action = match fields.choice(&["action"], "an action", ACTIONS, action)? {
        Some(action) => action,
        None if sentiment == Some(Sentiment::Flat) => Action::Exit,
        None => return Err(SignalError::new("action", "is required")),
    };
    let order_type = order_type(&fields)?.unwrap_or(SignalOrderType::Market);
    check_quantity_type(&fields)?;
    let quantity = fields.positive(&["quantity"])?;

    let given_price = fields.positive(&["price"])?;
    let price = match given_price {
        Some(price) => Some(price),
        None => fields.positive(&["signalPrice"])?,
    };
    let mut limit_price = fields.positive(&["limitPrice"])?;
    if matches!(
        order_type,
        SignalOrderType::Limit | SignalOrderType::StopLimit
    ) {
        limit_price = limit_price.or(given_price);
    }
    let stop_price = fields.positive(&["stopPrice"])?;
    let (needs_limit, needs_stop, kind) = match order_type {
        SignalOrderType::Market => (false, false, "market"),
        SignalOrderType::Limit => (true, false, "limit"),
        SignalOrderType::Stop => (false, true, "stop"),
        SignalOrderType::StopLimit => (true, true, "stop_limit"),
    };
    if needs_limit && limit_price.is_none() {
        return Err(SignalError::new(
            "limitPrice",
            format!("is required for a {kind} order"),
        ));
    }
    if needs_stop && stop_price.is_none() {
        return Err(SignalError::new(
            "stopPrice",
            format!("is required for a {kind} order"),
        ));
    }

    let take_profit = target(
        &fields,
        "takeProfit",
        "takeProfitPercent",
        "takeProfitTicks",
    )?;
    let stop_loss = target(&fields, "stopLoss", "stopLossPercent", "stopLossTicks")?;
    let id = id(&fields)?;

    Ok(Signal {
        ticker,
        action,
        quantity,
        order_type,
        price,
        limit_price,
        stop_price,
        take_profit,
        stop_loss,
        sentiment,
        id,
    })
}

/// The body's JSON object: the whole body, else the outermost `{...}` in it.
fn read_object(body: &[u8]) -> Result<Map<String, Value>, SignalError> {
    let text =
        std::str::from_utf8(body).map_err(|_| SignalError::new("body", "is not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let not_an_object = || SignalError::new("body", format!("is not a JSON object; {EXAMPLE}"));
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match value {
            Value::Object(object) => Ok(object),
            _ => Err(not_an_object()),
        };
    }
    let (Some(start), Some(end)) = (text.find('{'), text.rfind('}')) else {
        return Err(not_an_object());
    };
    if end < start {
        return Err(not_an_object());
    }
    // Blank out the text around the object rather than slicing it, so the line and column in
    // a syntax error point into the body the sender wrote.
    let masked: String = text
        .char_indices()
        .map(|(at, c)| {
            if (at < start || at > end) && c != '\n' {
                ' '
            } else {
                c
            }
        })
        .collect();
    match serde_json::from_str::<Value>(&masked) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(not_an_object()),
        Err(err) => Err(match unquoted_placeholder(text) {
            // `"quantity": {{strategy.order.contracts}}` left as is breaks the JSON itself.
            Some(found) => placeholder_error("body", found),
            None => SignalError::new("body", format!("is not valid JSON ({err}); {EXAMPLE}")),
        }),
    }
}

/// The first `{{...}}` in `text`, if any.
fn placeholder(text: &str) -> Option<&str> {
    let start = text.find("{{")?;
    let length = text[start..].find("}}")? + 2;
    Some(&text[start..start + length])
}

/// A placeholder standing where a JSON value should be (after `:`, `,` or `[`), not in a string.
fn unquoted_placeholder(text: &str) -> Option<&str> {
    text.match_indices("{{").find_map(|(at, _)| {
        let before = text[..at].trim_end().chars().next_back();
        matches!(before, Some(':' | ',' | '[')).then(|| placeholder(&text[at..]))?
    })
}

fn placeholder_error(field: impl Into<String>, found: &str) -> SignalError {
    SignalError::new(
        field,
        format!(
            "holds an unsubstituted TradingView placeholder {}: use it in an alert of a \
             strategy/indicator that provides it",
            shorten(found)
        ),
    )
}

/// `text` cut to [`MAX_SHOWN_CHARS`].
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A value as JSON (strings trimmed and quoted), shortened, for an error message.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => shorten(&Value::String(text.trim().to_owned()).to_string()),
        other => shorten(&other.to_string()),
    }
}

/// One JSON object's fields; `prefix` names the enclosing field in errors (`takeProfit.percent`).
struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn name(&self, key: &str) -> String {
        match self.prefix {
            Some(prefix) => format!("{prefix}.{key}"),
            None => key.to_owned(),
        }
    }

    /// The first of `keys` holding a value, with its name: null and blank text count as absent.
    fn find(&self, keys: &[&str]) -> Result<Option<(String, &'a Value)>, SignalError> {
        for key in keys {
            let Some(value) = self.object.get(*key) else {
                continue;
            };
            match value {
                Value::Null => continue,
                Value::String(text) => {
                    if let Some(found) = placeholder(text) {
                        return Err(placeholder_error(self.name(key), found));
                    }
                    if !text.trim().is_empty() {
                        return Ok(Some((self.name(key), value)));
                    }
                }
                _ => return Ok(Some((self.name(key), value))),
            }
        }
        Ok(None)
    }

    /// A number greater than 0.
    fn positive(&self, keys: &[&str]) -> Result<Option<f64>, SignalError> {
        match self.find(keys)? {
            Some((name, value)) => Ok(Some(positive(&name, number(&name, value)?)?)),
            None => Ok(None),
        }
    }

    /// A keyword, trimmed and matched case-insensitively by `pick`; `what` and `accepted` word
    /// the error for anything else.
    fn choice<T>(
        &self,
        keys: &[&str],
        what: &str,
        accepted: &str,
        pick: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, SignalError> {
        let Some((name, value)) = self.find(keys)? else {
            return Ok(None);
        };
        match keyword(value).as_deref().and_then(pick) {
            Some(choice) => Ok(Some(choice)),
            None => Err(SignalError::new(
                name,
                format!("{} is not {what}; use {accepted}", shown(value)),
            )),
        }
    }
}

/// A text value trimmed and lowercased.
fn keyword(value: &Value) -> Option<String> {
    value.as_str().map(|text| text.trim().to_ascii_lowercase())
}

/// A JSON number or a plain decimal in text (" 2.5 ", "1e3"; not "1,000", "inf" or "NaN").
fn number(name: &str, value: &Value) -> Result<f64, SignalError> {
    let parsed = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let text = text.trim();
            let plain = text
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
            plain.then(|| text.parse::<f64>().ok()).flatten()
        }
        _ => return Err(SignalError::new(name, "must be a number")),
    };
    match parsed {
        Some(number) if number.is_finite() => Ok(number),
        _ => Err(SignalError::new(
            name,
            format!("{} is not a number", shown(value)),
        )),
    }
}

fn positive(name: &str, number: f64) -> Result<f64, SignalError> {
    if number > 0.0 {
        Ok(number)
    } else {
        Err(SignalError::new(
            name,
            format!("must be greater than 0, not {number}"),
        ))
    }
}

fn ticker(fields: &Fields) -> Result<String, SignalError> {
    const KEYS: [&str; 2] = ["ticker", "symbol"];
    let Some((name, value)) = fields.find(&KEYS)? else {
        // Name the field the sender left blank, if any.
        return Err(
            match KEYS.iter().find(|key| fields.object.contains_key(**key)) {
                Some(key) => SignalError::new(*key, "is empty"),
                None => SignalError::new("ticker", "is required"),
            },
        );
    };
    let ticker = match value {
        Value::String(text) => text.trim().to_owned(),
        // Some exchanges list stocks by number (TSE 7203), which a sender may leave unquoted.
        Value::Number(number) if number.is_u64() => number.to_string(),
        _ => return Err(SignalError::new(name, r#"must be text, e.g. "ES1!""#)),
    };
    if ticker.chars().count() > MAX_TICKER_CHARS {
        return Err(SignalError::new(
            name,
            format!("is longer than {MAX_TICKER_CHARS} characters"),
        ));
    }
    if ticker.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SignalError::new(
            name,
            format!(
                "{} must not contain spaces or control characters",
                shown(value)
            ),
        ));
    }
    Ok(ticker)
}

fn action(word: &str) -> Option<Action> {
    match word {
        "buy" | "long" => Some(Action::Buy),
        "sell" | "short" => Some(Action::Sell),
        "exit" | "close" | "flat" | "flatten" => Some(Action::Exit),
        "cancel" => Some(Action::Cancel),
        "add" => Some(Action::Add),
        _ => None,
    }
}

fn sentiment(word: &str) -> Option<Sentiment> {
    match word {
        "long" | "bullish" => Some(Sentiment::Long),
        "short" | "bearish" => Some(Sentiment::Short),
        "flat" => Some(Sentiment::Flat),
        _ => None,
    }
}

fn is_trailing(word: &str) -> bool {
    matches!(
        word,
        "trailing_stop" | "trailing-stop" | "trailingstop" | "trailing"
    )
}

fn order_type(fields: &Fields) -> Result<Option<SignalOrderType>, SignalError> {
    const KEYS: [&str; 2] = ["orderType", "order_type"];
    if let Some((name, value)) = fields.find(&KEYS)?
        && keyword(value).is_some_and(|word| is_trailing(&word))
    {
        return Err(SignalError::new(name, TRAILING_UNSUPPORTED));
    }
    fields.choice(
        &KEYS,
        "an order type",
        "market, limit, stop or stop_limit",
        |word| match word {
            "market" => Some(SignalOrderType::Market),
            "limit" => Some(SignalOrderType::Limit),
            "stop" => Some(SignalOrderType::Stop),
            "stop_limit" | "stoplimit" | "stop-limit" => Some(SignalOrderType::StopLimit),
            _ => None,
        },
    )
}

/// Sizing by money or equity needs account data the copier applies per follower; not yet.
fn check_quantity_type(fields: &Fields) -> Result<(), SignalError> {
    match fields.find(&["quantityType"])? {
        Some((_, value)) if keyword(value).as_deref() == Some("fixed_quantity") => Ok(()),
        Some((name, _)) => Err(SignalError::new(name, "only fixed_quantity is supported")),
        None => Ok(()),
    }
}

/// `takeProfit` or `stopLoss` (a price, or an object with one distance), else the flat
/// `...Percent` or `...Ticks` field.
fn target(
    fields: &Fields,
    key: &str,
    percent_key: &str,
    ticks_key: &str,
) -> Result<Option<Target>, SignalError> {
    if let Some((name, value)) = fields.find(&[key])?
        && let Some(target) = nested_target(&name, value)?
    {
        return Ok(Some(target));
    }
    let by_percent = fields.find(&[percent_key])?;
    let by_ticks = fields.find(&[ticks_key])?;
    match (by_percent, by_ticks) {
        (Some(_), Some(_)) => Err(SignalError::new(
            percent_key,
            format!("give only one of {percent_key} and {ticks_key}"),
        )),
        (Some((name, value)), None) => Ok(Some(Target::Percent(percent(&name, value)?))),
        (None, Some((name, value))) => {
            Ok(Some(Target::Ticks(positive(&name, number(&name, value)?)?)))
        }
        (None, None) => Ok(None),
    }
}

fn percent(name: &str, value: &Value) -> Result<f64, SignalError> {
    match number(name, value)? {
        percent if percent > 0.0 && percent <= 100.0 => Ok(percent),
        percent => Err(SignalError::new(
            name,
            format!("must be more than 0 and at most 100, not {percent}"),
        )),
    }
}

/// A target given as a price or as an object; `None` for an object with nothing in it.
fn nested_target(name: &str, value: &Value) -> Result<Option<Target>, SignalError> {
    let object = match value {
        Value::Number(_) | Value::String(_) => {
            return Ok(Some(Target::Price(positive(name, number(name, value)?)?)));
        }
        Value::Object(object) => object,
        _ => {
            return Err(SignalError::new(
                name,
                r#"must be a price or an object such as {"percent": 2}"#,
            ));
        }
    };
    let fields = Fields {
        object,
        prefix: Some(name),
    };
    if let Some((type_name, value)) = fields.find(&["type"])?
        && keyword(value).is_some_and(|word| is_trailing(&word))
    {
        return Err(SignalError::new(type_name, TRAILING_UNSUPPORTED));
    }
    if let Some((trail_name, _)) = fields.find(&["trailAmount", "trailPercent"])? {
        return Err(SignalError::new(trail_name, TRAILING_UNSUPPORTED));
    }
    let mut given = Vec::new();
    for key in [
        "limitPrice",
        "stopPrice",
        "price",
        "ticks",
        "percent",
        "amount",
    ] {
        if let Some((field, value)) = fields.find(&[key])? {
            given.push((key, field, value));
        }
    }
    match given.as_slice() {
        [] => {
            let blank = object.values().all(|value| {
                value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty())
            });
            // A template's empty `{"percent": ""}` means no target; anything else unread
            // (a typo such as `percnt`) must not silently drop a stop-loss.
            if blank {
                Ok(None)
            } else {
                Err(SignalError::new(
                    name,
                    format!("needs one of {TARGET_KEYS}"),
                ))
            }
        }
        [(key, field, value)] => Ok(Some(match *key {
            "ticks" => Target::Ticks(positive(field, number(field, value)?)?),
            "percent" => Target::Percent(percent(field, value)?),
            "amount" => Target::Amount(positive(field, number(field, value)?)?),
            _ => Target::Price(positive(field, number(field, value)?)?),
        })),
        [(first, ..), (second, ..), ..] => Err(SignalError::new(
            name,
            format!("give only one of {TARGET_KEYS}, not both {first} and {second}"),
        )),
    }
}

fn id(fields: &Fields) -> Result<Option<String>, SignalError> {
    let Some((name, value)) = fields.find(&["id", "signalId"])? else {
        return Ok(None);
    };
    let id = match value {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) if number.is_i64() || number.is_u64() => number.to_string(),
        _ => return Err(SignalError::new(name, "must be text or a whole number")),
    };
    if id.chars().count() > MAX_ID_CHARS {
        return Err(SignalError::new(
            name,
            format!("is longer than {MAX_ID_CHARS} characters"),
        ));
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests;
