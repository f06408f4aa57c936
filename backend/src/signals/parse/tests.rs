//! The parser's cases: what TradingView and scripts send, and each error a trader can meet.
use serde_json::json;

use super::*;

fn ok(body: &str) -> Signal {
    match parse(body.as_bytes()) {
        Ok(signal) => signal,
        Err(err) => panic!("{body} was rejected: {err}"),
    }
}

/// The error's field and message.
fn err(body: &str) -> (String, String) {
    match parse(body.as_bytes()) {
        Ok(signal) => panic!("{body} was accepted: {signal:?}"),
        Err(SignalError { field, message }) => (field, message),
    }
}

fn error(field: &str, message: &str) -> (String, String) {
    (field.to_owned(), message.to_owned())
}

/// A market buy of `ES1!` with `extra` fields added.
fn buy_with(extra: &str) -> String {
    format!(r#"{{"ticker":"ES1!","action":"buy",{extra}}}"#)
}

const PLACEHOLDER_HELP: &str = "use it in an alert of a strategy/indicator that provides it";
const NOT_AN_OBJECT: &str =
    r#"is not a JSON object; send e.g. {"ticker":"ES1!","action":"buy","quantity":1}"#;

#[test]
fn usual_template_after_substitution_reads_numbers_sent_as_text() {
    let body = r#"{"ticker":"ES1!","action":"buy","sentiment":"long","quantity":"2","price":"5321.25","time":"2026-03-02T14:30:00Z","interval":"5"}"#;
    assert_eq!(
        ok(body),
        Signal {
            ticker: "ES1!".into(),
            action: Action::Buy,
            quantity: Some(2.0),
            order_type: SignalOrderType::Market,
            price: Some(5321.25),
            limit_price: None,
            stop_price: None,
            take_profit: None,
            stop_loss: None,
            sentiment: Some(Sentiment::Long),
            id: None,
        }
    );
}

#[test]
fn json_numbers_and_surrounding_whitespace_are_accepted() {
    let signal = ok(
        "\r\n  {\"ticker\":\" NQH26 \",\"action\":\"sell\",\"quantity\":3,\"price\":21000.5}\n\n",
    );
    assert_eq!(signal.ticker, "NQH26");
    assert_eq!(signal.action, Action::Sell);
    assert_eq!(signal.quantity, Some(3.0));
    assert_eq!(signal.price, Some(21000.5));
}

#[test]
fn numeric_text_may_be_padded_or_in_exponent_form() {
    assert_eq!(ok(&buy_with(r#""quantity":" 2.5 ""#)).quantity, Some(2.5));
    assert_eq!(ok(&buy_with(r#""quantity":"1e2""#)).quantity, Some(100.0));
}

#[test]
fn json_inside_text_is_found() {
    let signal = ok(r#"Alert: {"ticker":"BTCUSDT.P","action":"buy"} fired on 5m"#);
    assert_eq!(signal.ticker, "BTCUSDT.P");
    assert_eq!(signal.action, Action::Buy);
}

#[test]
fn a_byte_order_mark_is_skipped() {
    assert_eq!(
        ok("\u{feff}{\"ticker\":\"ES1!\",\"action\":\"buy\"}").ticker,
        "ES1!"
    );
}

#[test]
fn actions_are_case_insensitive_and_synonyms_map_to_them() {
    for (word, expected) in [
        ("buy", Action::Buy),
        ("BUY", Action::Buy),
        (" Long ", Action::Buy),
        ("sell", Action::Sell),
        ("Short", Action::Sell),
        ("exit", Action::Exit),
        ("close", Action::Exit),
        ("FLAT", Action::Exit),
        ("flatten", Action::Exit),
        ("Cancel", Action::Cancel),
        ("add", Action::Add),
    ] {
        let body = format!(r#"{{"ticker":"ES1!","action":"{word}"}}"#);
        assert_eq!(ok(&body).action, expected, "{word}");
    }
}

#[test]
fn sentiments_are_case_insensitive_and_accept_the_spec_words() {
    for (word, expected) in [
        ("long", Sentiment::Long),
        ("Bullish", Sentiment::Long),
        ("SHORT", Sentiment::Short),
        ("bearish", Sentiment::Short),
        ("flat", Sentiment::Flat),
    ] {
        let body = buy_with(&format!(r#""sentiment":"{word}""#));
        assert_eq!(ok(&body).sentiment, Some(expected), "{word}");
    }
}

#[test]
fn flat_sentiment_without_action_means_exit() {
    let signal = ok(r#"{"ticker":"ES1!","sentiment":"Flat"}"#);
    assert_eq!(signal.action, Action::Exit);
    assert_eq!(signal.sentiment, Some(Sentiment::Flat));
}

#[test]
fn flat_sentiment_does_not_override_a_given_action() {
    let signal = ok(&buy_with(r#""sentiment":"flat""#));
    assert_eq!(signal.action, Action::Buy);
}

#[test]
fn missing_action_is_rejected_even_with_a_long_sentiment() {
    assert_eq!(err(r#"{"ticker":"ES1!"}"#), error("action", "is required"));
    assert_eq!(
        err(r#"{"ticker":"ES1!","sentiment":"long"}"#),
        error("action", "is required")
    );
    assert_eq!(
        err(r#"{"ticker":"ES1!","action":""}"#),
        error("action", "is required")
    );
}

#[test]
fn unknown_action_lists_the_accepted_ones() {
    assert_eq!(
        err(r#"{"ticker":"ES1!","action":"Hold"}"#),
        error(
            "action",
            r#""Hold" is not an action; use buy, sell, exit, cancel or add"#
        )
    );
    assert_eq!(
        err(r#"{"ticker":"ES1!","action":1}"#),
        error(
            "action",
            "1 is not an action; use buy, sell, exit, cancel or add"
        )
    );
}

#[test]
fn unknown_sentiment_lists_the_accepted_ones() {
    assert_eq!(
        err(&buy_with(r#""sentiment":"up""#)),
        error(
            "sentiment",
            r#""up" is not a sentiment; use long, short or flat"#
        )
    );
}

#[test]
fn ticker_is_required() {
    assert_eq!(err(r#"{"action":"buy"}"#), error("ticker", "is required"));
    assert_eq!(
        err(r#"{"ticker":null,"action":"buy"}"#),
        error("ticker", "is empty")
    );
    assert_eq!(
        err(r#"{"ticker":"  ","action":"buy"}"#),
        error("ticker", "is empty")
    );
}

#[test]
fn symbol_is_an_alias_for_ticker_and_ticker_wins() {
    assert_eq!(ok(r#"{"symbol":"MNQ1!","action":"buy"}"#).ticker, "MNQ1!");
    let both = r#"{"ticker":"ES1!","symbol":"{{ticker}}","action":"buy"}"#;
    assert_eq!(ok(both).ticker, "ES1!");
}

#[test]
fn ticker_with_a_space_or_too_long_is_rejected() {
    assert_eq!(
        err(r#"{"ticker":"MNQ 06-25","action":"buy"}"#),
        error(
            "ticker",
            r#""MNQ 06-25" must not contain spaces or control characters"#
        )
    );
    assert_eq!(
        err(r#"{"symbol":"ES\u0007","action":"buy"}"#),
        error(
            "symbol",
            r#""ES\u0007" must not contain spaces or control characters"#
        )
    );
    let forty = "A".repeat(40);
    assert_eq!(
        ok(&format!(r#"{{"ticker":"{forty}","action":"buy"}}"#)).ticker,
        forty
    );
    assert_eq!(
        err(&format!(r#"{{"ticker":"{forty}B","action":"buy"}}"#)),
        error("ticker", "is longer than 40 characters")
    );
    assert_eq!(
        err(r#"{"ticker":true,"action":"buy"}"#),
        error("ticker", r#"must be text, e.g. "ES1!""#)
    );
}

#[test]
fn numeric_ticker_is_kept_as_text() {
    assert_eq!(ok(r#"{"ticker":7203,"action":"buy"}"#).ticker, "7203");
}

#[test]
fn quantity_must_be_a_positive_plain_number() {
    assert_eq!(
        err(&buy_with(r#""quantity":"0""#)),
        error("quantity", "must be greater than 0, not 0")
    );
    assert_eq!(
        err(&buy_with(r#""quantity":-1.5"#)),
        error("quantity", "must be greater than 0, not -1.5")
    );
    assert_eq!(
        err(&buy_with(r#""quantity":"1,000""#)),
        error("quantity", r#""1,000" is not a number"#)
    );
    assert_eq!(
        err(&buy_with(r#""quantity":"NaN""#)),
        error("quantity", r#""NaN" is not a number"#)
    );
    assert_eq!(
        err(&buy_with(r#""quantity":"1e999""#)),
        error("quantity", r#""1e999" is not a number"#)
    );
    assert_eq!(
        err(&buy_with(r#""quantity":true"#)),
        error("quantity", "must be a number")
    );
}

#[test]
fn blank_optional_fields_count_as_absent() {
    let body = buy_with(
        r#""quantity":"","price":" ","sentiment":"","orderType":null,"id":"","takeProfit":"","stopLoss":{"percent":""}"#,
    );
    let signal = ok(&body);
    assert_eq!(signal.quantity, None);
    assert_eq!(signal.price, None);
    assert_eq!(signal.sentiment, None);
    assert_eq!(signal.order_type, SignalOrderType::Market);
    assert_eq!(signal.id, None);
    assert_eq!(signal.take_profit, None);
    assert_eq!(signal.stop_loss, None);
}

#[test]
fn quantity_type_other_than_fixed_quantity_is_rejected() {
    assert_eq!(
        err(&buy_with(
            r#""quantity":10,"quantityType":"percent_of_equity""#
        )),
        error("quantityType", "only fixed_quantity is supported")
    );
    assert_eq!(
        err(&buy_with(r#""quantityType":"dollar_amount""#)),
        error("quantityType", "only fixed_quantity is supported")
    );
    let fixed = ok(&buy_with(r#""quantity":1,"quantityType":"Fixed_Quantity""#));
    assert_eq!(fixed.quantity, Some(1.0));
}

#[test]
fn prices_must_be_positive() {
    assert_eq!(
        err(&buy_with(r#""price":"0""#)),
        error("price", "must be greater than 0, not 0")
    );
    assert_eq!(
        err(&buy_with(r#""stopPrice":-5"#)),
        error("stopPrice", "must be greater than 0, not -5")
    );
}

#[test]
fn signal_price_is_the_reference_price_when_price_is_absent() {
    assert_eq!(ok(&buy_with(r#""signalPrice":"99.5""#)).price, Some(99.5));
    assert_eq!(
        ok(&buy_with(r#""price":100,"signalPrice":99.5"#)).price,
        Some(100.0)
    );
}

#[test]
fn market_order_keeps_price_as_reference_only() {
    let signal = ok(&buy_with(r#""price":100"#));
    assert_eq!(signal.order_type, SignalOrderType::Market);
    assert_eq!(signal.limit_price, None);
}

#[test]
fn limit_order_takes_its_limit_from_limit_price_else_price() {
    let from_price = ok(&buy_with(r#""orderType":"LIMIT","price":"100.25""#));
    assert_eq!(from_price.order_type, SignalOrderType::Limit);
    assert_eq!(from_price.limit_price, Some(100.25));
    assert_eq!(from_price.price, Some(100.25));
    let explicit = ok(&buy_with(
        r#""orderType":"limit","price":101,"limitPrice":100"#,
    ));
    assert_eq!(explicit.limit_price, Some(100.0));
    assert_eq!(explicit.price, Some(101.0));
}

#[test]
fn limit_order_without_a_limit_price_is_rejected() {
    assert_eq!(
        err(&buy_with(r#""orderType":"limit""#)),
        error("limitPrice", "is required for a limit order")
    );
    // signalPrice is only a reference, never a limit.
    assert_eq!(
        err(&buy_with(r#""orderType":"limit","signalPrice":100"#)),
        error("limitPrice", "is required for a limit order")
    );
}

#[test]
fn stop_order_needs_a_stop_price() {
    assert_eq!(
        err(&buy_with(r#""orderType":"stop","price":100"#)),
        error("stopPrice", "is required for a stop order")
    );
    let signal = ok(&buy_with(r#""orderType":"stop","stopPrice":"105""#));
    assert_eq!(signal.order_type, SignalOrderType::Stop);
    assert_eq!(signal.stop_price, Some(105.0));
    assert_eq!(signal.limit_price, None);
}

#[test]
fn stop_limit_order_needs_both_prices() {
    assert_eq!(
        err(&buy_with(r#""orderType":"stop_limit","stopPrice":105"#)),
        error("limitPrice", "is required for a stop_limit order")
    );
    assert_eq!(
        err(&buy_with(r#""orderType":"stop_limit","price":106"#)),
        error("stopPrice", "is required for a stop_limit order")
    );
    for spelling in ["stop_limit", "StopLimit", "STOP-LIMIT"] {
        let body = buy_with(&format!(
            r#""orderType":"{spelling}","stopPrice":105,"price":106"#
        ));
        let signal = ok(&body);
        assert_eq!(signal.order_type, SignalOrderType::StopLimit, "{spelling}");
        assert_eq!(
            (signal.stop_price, signal.limit_price),
            (Some(105.0), Some(106.0))
        );
    }
}

#[test]
fn order_type_accepts_the_snake_case_key() {
    let signal = ok(&buy_with(r#""order_type":"limit","limitPrice":99"#));
    assert_eq!(signal.order_type, SignalOrderType::Limit);
    assert_eq!(
        err(&buy_with(r#""order_type":"MKT""#)),
        error(
            "order_type",
            r#""MKT" is not an order type; use market, limit, stop or stop_limit"#
        )
    );
}

#[test]
fn trailing_stops_are_rejected_as_not_supported_yet() {
    assert_eq!(
        err(&buy_with(r#""orderType":"trailing_stop","trailPercent":1"#)),
        error("orderType", "trailing stops are not supported yet")
    );
    assert_eq!(
        err(&buy_with(
            r#""stopLoss":{"type":"trailing_stop","trailPercent":1}"#
        )),
        error("stopLoss.type", "trailing stops are not supported yet")
    );
    assert_eq!(
        err(&buy_with(r#""stopLoss":{"trailAmount":5}"#)),
        error(
            "stopLoss.trailAmount",
            "trailing stops are not supported yet"
        )
    );
}

#[test]
fn target_given_as_a_number_or_text_is_a_price() {
    let signal = ok(&buy_with(r#""takeProfit":5400,"stopLoss":" 5300.5 ""#));
    assert_eq!(signal.take_profit, Some(Target::Price(5400.0)));
    assert_eq!(signal.stop_loss, Some(Target::Price(5300.5)));
}

#[test]
fn target_object_takes_each_kind() {
    for (inner, expected) in [
        (r#"{"limitPrice":5400}"#, Target::Price(5400.0)),
        (r#"{"stopPrice":"5300"}"#, Target::Price(5300.0)),
        (r#"{"price":5350}"#, Target::Price(5350.0)),
        (r#"{"ticks":"8"}"#, Target::Ticks(8.0)),
        (r#"{"percent":1.5}"#, Target::Percent(1.5)),
        (r#"{"percent":100}"#, Target::Percent(100.0)),
        (r#"{"amount":250}"#, Target::Amount(250.0)),
        (r#"{"type":"stop","stopPrice":5300}"#, Target::Price(5300.0)),
    ] {
        let body = buy_with(&format!(r#""takeProfit":{inner},"stopLoss":{inner}"#));
        let signal = ok(&body);
        assert_eq!(signal.take_profit, Some(expected), "{inner}");
        assert_eq!(signal.stop_loss, Some(expected), "{inner}");
    }
}

#[test]
fn target_object_with_two_kinds_is_rejected() {
    assert_eq!(
        err(&buy_with(r#""takeProfit":{"percent":2,"amount":100}"#)),
        error(
            "takeProfit",
            "give only one of limitPrice, stopPrice, price, ticks, percent or amount, not both percent and amount"
        )
    );
    assert_eq!(
        err(&buy_with(
            r#""stopLoss":{"type":"stop_limit","stopPrice":99,"limitPrice":98}"#
        ))
        .0,
        "stopLoss"
    );
}

#[test]
fn target_percent_must_be_within_0_and_100() {
    assert_eq!(
        err(&buy_with(r#""takeProfit":{"percent":150}"#)),
        error(
            "takeProfit.percent",
            "must be more than 0 and at most 100, not 150"
        )
    );
    assert_eq!(
        err(&buy_with(r#""stopLoss":{"percent":"0"}"#)),
        error(
            "stopLoss.percent",
            "must be more than 0 and at most 100, not 0"
        )
    );
    assert_eq!(
        err(&buy_with(r#""stopLossPercent":101"#)),
        error(
            "stopLossPercent",
            "must be more than 0 and at most 100, not 101"
        )
    );
}

#[test]
fn target_values_must_be_positive_numbers() {
    assert_eq!(
        err(&buy_with(r#""takeProfit":{"ticks":-4}"#)),
        error("takeProfit.ticks", "must be greater than 0, not -4")
    );
    assert_eq!(
        err(&buy_with(r#""stopLoss":{"amount":"lots"}"#)),
        error("stopLoss.amount", r#""lots" is not a number"#)
    );
    assert_eq!(
        err(&buy_with(r#""takeProfit":0"#)),
        error("takeProfit", "must be greater than 0, not 0")
    );
    assert_eq!(
        err(&buy_with(r#""takeProfit":true"#)),
        error(
            "takeProfit",
            r#"must be a price or an object such as {"percent": 2}"#
        )
    );
}

#[test]
fn target_object_with_nothing_readable_is_rejected_not_dropped() {
    assert_eq!(
        err(&buy_with(r#""stopLoss":{"percnt":2}"#)),
        error(
            "stopLoss",
            "needs one of limitPrice, stopPrice, price, ticks, percent or amount"
        )
    );
    assert_eq!(ok(&buy_with(r#""stopLoss":{}"#)).stop_loss, None);
}

#[test]
fn flat_target_fields_apply_when_the_nested_one_is_absent() {
    let signal = ok(&buy_with(
        r#""takeProfitTicks":"12","stopLossPercent":"0.5""#,
    ));
    assert_eq!(signal.take_profit, Some(Target::Ticks(12.0)));
    assert_eq!(signal.stop_loss, Some(Target::Percent(0.5)));
    let nested_wins = ok(&buy_with(
        r#""takeProfit":{"amount":50},"takeProfitPercent":"{{plot_0}}""#,
    ));
    assert_eq!(nested_wins.take_profit, Some(Target::Amount(50.0)));
    assert_eq!(
        err(&buy_with(r#""stopLossPercent":1,"stopLossTicks":8"#)),
        error(
            "stopLossPercent",
            "give only one of stopLossPercent and stopLossTicks"
        )
    );
}

#[test]
fn unsubstituted_placeholder_in_a_used_field_is_rejected() {
    assert_eq!(
        err(&buy_with(r#""quantity":"{{strategy.order.contracts}}""#)),
        error(
            "quantity",
            &format!(
                "holds an unsubstituted TradingView placeholder {{{{strategy.order.contracts}}}}: {PLACEHOLDER_HELP}"
            )
        )
    );
    assert_eq!(
        err(&buy_with(r#""price":"{{close}}""#)),
        error(
            "price",
            &format!(
                "holds an unsubstituted TradingView placeholder {{{{close}}}}: {PLACEHOLDER_HELP}"
            )
        )
    );
    assert_eq!(
        err(r#"{"ticker":"ES1!","action":"{{strategy.order.action}}"}"#).0,
        "action"
    );
    assert_eq!(
        err(&buy_with(r#""takeProfit":{"percent":"x{{plot_1}}"}"#)).0,
        "takeProfit.percent"
    );
}

#[test]
fn unsubstituted_placeholder_in_an_unused_field_is_ignored() {
    let signal = ok(&buy_with(
        r#""comment":"{{strategy.order.comment}}","time":"{{timenow}}""#,
    ));
    assert_eq!(signal.action, Action::Buy);
}

#[test]
fn unquoted_unsubstituted_placeholder_is_named_not_reported_as_bad_json() {
    assert_eq!(
        err(r#"{"ticker":"ES1!","action":"buy","quantity":{{strategy.order.contracts}}}"#),
        error(
            "body",
            &format!(
                "holds an unsubstituted TradingView placeholder {{{{strategy.order.contracts}}}}: {PLACEHOLDER_HELP}"
            )
        )
    );
}

#[test]
fn body_that_is_not_utf8_is_rejected() {
    assert_eq!(
        parse(b"{\"ticker\":\"ES\xff\",\"action\":\"buy\"}"),
        Err(SignalError::new("body", "is not UTF-8 text"))
    );
}

#[test]
fn body_without_a_json_object_is_rejected() {
    for body in [
        r#"[{"ticker":"ES1!","action":"buy"}]"#,
        r#""ES1! buy""#,
        "42",
        "buy ES1! now",
        "",
        "} {",
    ] {
        assert_eq!(err(body), error("body", NOT_AN_OBJECT), "{body}");
    }
}

#[test]
fn invalid_json_names_the_place_in_the_body() {
    let (field, message) = err(r#"Alert: {"ticker":"ES1!","action":"buy",}"#);
    assert_eq!(field, "body");
    assert!(
        message.starts_with("is not valid JSON (trailing comma at line 1 column 40)"),
        "{message}"
    );
    assert!(message.ends_with(r#"send e.g. {"ticker":"ES1!","action":"buy","quantity":1}"#));
}

#[test]
fn id_is_kept_as_text_even_when_sent_as_a_number() {
    assert_eq!(ok(&buy_with(r#""id":12345"#)).id.as_deref(), Some("12345"));
    assert_eq!(
        ok(&buy_with(r#""id":" abc-1 ""#)).id.as_deref(),
        Some("abc-1")
    );
    assert_eq!(
        ok(&buy_with(r#""signalId":"s-9""#)).id.as_deref(),
        Some("s-9")
    );
    assert_eq!(
        ok(&buy_with(r#""id":"a","signalId":"b""#)).id.as_deref(),
        Some("a")
    );
    assert_eq!(
        err(&buy_with(r#""id":1.5"#)),
        error("id", "must be text or a whole number")
    );
    let long = "x".repeat(129);
    assert_eq!(
        err(&buy_with(&format!(r#""id":"{long}""#))),
        error("id", "is longer than 128 characters")
    );
    assert_eq!(
        ok(&buy_with(&format!(r#""id":"{}""#, &long[1..])))
            .id
            .map(|id| id.len()),
        Some(128)
    );
}

#[test]
fn time_and_date_are_not_ids() {
    let signal = ok(&buy_with(
        r#""time":"2026-03-02T14:30:00Z","date":"2026-03-02 14:30:00""#,
    ));
    assert_eq!(signal.id, None);
}

#[test]
fn unknown_fields_are_ignored() {
    let body =
        buy_with(r#""interval":"5","extras":{"a":[1,2]},"comment":"hi","timeInForce":"gtc""#);
    assert_eq!(ok(&body).ticker, "ES1!");
}

#[test]
fn long_values_are_shortened_in_messages() {
    let word = "h".repeat(60);
    let (_, message) = err(&format!(r#"{{"ticker":"ES1!","action":"{word}"}}"#));
    assert!(
        message.starts_with(&format!("\"{}…", "h".repeat(39))),
        "{message}"
    );
    assert!(message.chars().count() < 100, "{message}");
}

#[test]
fn error_displays_field_then_message() {
    assert_eq!(
        SignalError::new("action", "is required").to_string(),
        "action: is required"
    );
}

#[test]
fn signal_serializes_in_camel_case_with_tagged_targets() {
    let signal = ok(&buy_with(
        r#""orderType":"stop_limit","stopPrice":105,"limitPrice":106,"stopLoss":{"ticks":8},"sentiment":"long","id":7"#,
    ));
    assert_eq!(
        serde_json::to_value(&signal).unwrap(),
        json!({
            "ticker": "ES1!",
            "action": "buy",
            "quantity": null,
            "orderType": "stop_limit",
            "price": null,
            "limitPrice": 106.0,
            "stopPrice": 105.0,
            "takeProfit": null,
            "stopLoss": {"kind": "ticks", "value": 8.0},
            "sentiment": "long",
            "id": "7"
        })
    );
}
