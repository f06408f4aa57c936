//! Guessing and flooding, as an attacker tries them (SEC-9, SEC-10; docs/security.md,
//! "Guessing and flooding"): every password or code check counts, one per request; sign-ups are
//! limited per address; IPv6 clients count per /64; and the owner's own browser still gets in
//! while someone else is locking the account.

use std::net::IpAddr;

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Backend, Caller, TestApp, on_both_databases};

const PASSWORD: &str = "a long trading passphrase";
const REGISTER: &str =
    "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token } }";
const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
const CHANGE_PASSWORD: &str = "mutation($c: String!) { changePassword(currentPassword: $c, newPassword: \"another long passphrase\") { token } }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

fn from(ip: &str) -> Caller {
    Caller {
        ip: Some(ip.parse::<IpAddr>().unwrap()),
        ..Caller::default()
    }
}

async fn register(app: &TestApp, email: &str, caller: &Caller) -> Value {
    app.gql_with(REGISTER, json!({ "e": email, "p": PASSWORD }), caller)
        .await
        .json()
}

async fn login(app: &TestApp, password: &str, caller: &Caller) -> crate::support::TestResponse {
    app.gql_with(
        LOGIN,
        json!({ "e": "trader@example.com", "p": password }),
        caller,
    )
    .await
}

/// The `name=value` of the `set-cookie` header named `name`.
fn set_cookie(response: &crate::support::TestResponse, name: &str) -> String {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", response.headers))
        .to_owned()
}

on_both_databases!(
    a_stolen_session_cannot_guess_the_password_through_change_password,
    aliased_factor_checks_outside_login_are_refused_whole,
    a_sign_up_flood_from_one_address_stops_at_the_hourly_limit,
    ipv6_clients_are_counted_per_64,
    the_owner_still_logs_in_from_a_known_browser_while_the_account_is_attacked,
    old_attempts_are_pruned,
);

async fn a_stolen_session_cannot_guess_the_password_through_change_password(backend: Backend) {
    let app = TestApp::new(backend).await;
    let owner = from("198.51.100.1");
    let token = register(&app, "trader@example.com", &owner).await["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The thief holds the session token and guesses the password to take the account over.
    let thief = Caller {
        token: Some(token.clone()),
        ..from("203.0.113.9")
    };
    for i in 0..10 {
        let guess = app
            .gql_with(
                CHANGE_PASSWORD,
                json!({ "c": format!("guess {i}") }),
                &thief,
            )
            .await
            .json();
        assert_eq!(code(&guess), "BAD_CREDENTIALS", "{guess}");
    }
    // The 11th is refused before the password is checked, even the right one.
    let refused = app
        .gql_with(CHANGE_PASSWORD, json!({ "c": PASSWORD }), &thief)
        .await
        .json();
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
    assert!(
        refused["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_i64()
            .unwrap()
            > 0
    );
    // Ten failures lock the account for browsers it has not seen, from any address.
    let elsewhere = login(&app, PASSWORD, &from("192.0.2.77")).await.json();
    assert_eq!(code(&elsewhere), "RATE_LIMITED", "{elsewhere}");
    let events = app
        .gql_with(
            "{ securityEvents { kind } }",
            json!({}),
            &Caller::with_token(&token),
        )
        .await
        .json();
    let kinds: Vec<&str> = events["data"]["securityEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "ACCOUNT_LOCKED").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|k| **k == "LOGIN_FAILED").count(), 10);
}

async fn aliased_factor_checks_outside_login_are_refused_whole(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = register(&app, "trader@example.com", &Caller::default()).await["data"]["register"]
        ["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let thief = Caller::with_token(&token);
    let guesses: String = (0..5)
        .map(|i| format!("g{i}: deleteAccount(password: \"guess {i}\") "))
        .collect();
    for operation in [
        format!("mutation {{ {guesses} }}"),
        "mutation { a: reauthenticate(password: \"one\") { token } b: reauthenticate(password: \"two\") { token } }".to_owned(),
        "mutation { ...G ...G } fragment G on Mutation { changePassword(currentPassword: \"x\", newPassword: \"another long passphrase\") { token } }".to_owned(),
        format!("mutation {{ login(email: \"trader@example.com\", password: \"x\") {{ token }} deleteAccount(password: \"{PASSWORD}\") }}"),
        "mutation { a: resetPassword(token: \"one\", newPassword: \"another long passphrase\", totpCode: \"111111\") { token } b: resetPassword(token: \"two\", newPassword: \"another long passphrase\", totpCode: \"222222\") { token } }".to_owned(),
        "mutation { a: requestPasswordReset(email: \"trader@example.com\") b: requestPasswordReset(email: \"trader@example.com\") }".to_owned(),
    ] {
        let answer = app.gql_with(&operation, json!({}), &thief).await.json();
        assert_eq!(code(&answer), "BAD_REQUEST", "{operation}: {answer}");
        assert!(answer["data"].is_null(), "nothing ran: {answer}");
    }
    // Nothing was checked or deleted: the account is there, and no attempt was counted.
    let me = app
        .gql_with("{ me { email } }", json!({}), &thief)
        .await
        .json();
    assert_eq!(me["data"]["me"]["email"], "trader@example.com", "{me}");
    let events = app
        .gql_with("{ securityEvents { kind } }", json!({}), &thief)
        .await
        .json();
    assert_eq!(
        events["data"]["securityEvents"].as_array().unwrap().len(),
        1,
        "{events}"
    );
}

async fn a_sign_up_flood_from_one_address_stops_at_the_hourly_limit(backend: Backend) {
    let app = TestApp::new(backend).await;
    let flooder = from("203.0.113.50");
    for i in 0..10 {
        let answer = register(&app, &format!("bot{i}@example.com"), &flooder).await;
        assert!(answer["data"]["register"]["token"].is_string(), "{answer}");
    }
    let refused = register(&app, "bot10@example.com", &flooder).await;
    assert_eq!(code(&refused), "RATE_LIMITED", "{refused}");
    let retry = refused["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_i64()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Nothing was created for the refused one; another address signs up as usual.
    let login_refused = app
        .gql_with(
            LOGIN,
            json!({ "e": "bot10@example.com", "p": PASSWORD }),
            &from("198.51.100.3"),
        )
        .await
        .json();
    assert_eq!(code(&login_refused), "BAD_CREDENTIALS");
    let other = register(&app, "person@example.com", &from("198.51.100.3")).await;
    assert!(other["data"]["register"]["token"].is_string(), "{other}");
    // An hour later the address may sign up again.
    app.clock.advance(Duration::minutes(61));
    let later = register(&app, "bot10@example.com", &flooder).await;
    assert!(later["data"]["register"]["token"].is_string(), "{later}");
}

async fn ipv6_clients_are_counted_per_64(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com", &Caller::default()).await;
    // One subscriber's /64 holds 2^64 addresses: hopping among them buys no extra guesses.
    for i in 1..=10 {
        let guess = login(
            &app,
            "wrong password",
            &from(&format!("2001:db8:1:2::{i:x}")),
        )
        .await
        .json();
        assert_eq!(code(&guess), "BAD_CREDENTIALS", "{guess}");
    }
    let same_block = login(&app, PASSWORD, &from("2001:db8:1:2:ffff::1"))
        .await
        .json();
    assert_eq!(code(&same_block), "RATE_LIMITED", "{same_block}");
}

async fn the_owner_still_logs_in_from_a_known_browser_while_the_account_is_attacked(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com", &Caller::default()).await;
    // The owner's browser logs in once and keeps the device cookie.
    let owner_ip = "198.51.100.20";
    let first = login(&app, PASSWORD, &from(owner_ip)).await;
    assert!(first.json()["data"]["login"]["token"].is_string());
    let device = set_cookie(&first, "copytrade_device");

    // An attacker spreads wrong passwords over many addresses: the account locks.
    for i in 0..10 {
        let guess = login(
            &app,
            "wrong password",
            &from(&format!("203.0.113.{}", 100 + i)),
        )
        .await
        .json();
        assert_eq!(code(&guess), "BAD_CREDENTIALS", "{guess}");
    }
    let locked = login(&app, PASSWORD, &from("192.0.2.1")).await.json();
    assert_eq!(code(&locked), "RATE_LIMITED", "{locked}");

    // The owner's browser is known: it gets in with the right password.
    let owner = Caller {
        cookie: Some(device.clone()),
        ..from(owner_ip)
    };
    let answer = login(&app, PASSWORD, &owner).await.json();
    assert!(answer["data"]["login"]["token"].is_string(), "{answer}");
    // A forged device cookie is no way round the lock.
    let forged = Caller {
        cookie: Some(format!("{device}x")),
        ..from("192.0.2.2")
    };
    assert_eq!(
        code(&login(&app, PASSWORD, &forged).await.json()),
        "RATE_LIMITED"
    );
    // A stolen device cookie only buys its own ten guesses.
    let stolen = Caller {
        cookie: Some(device),
        ..from("192.0.2.3")
    };
    for _ in 0..10 {
        assert_eq!(
            code(&login(&app, "still wrong", &stolen).await.json()),
            "BAD_CREDENTIALS"
        );
    }
    assert_eq!(
        code(&login(&app, PASSWORD, &stolen).await.json()),
        "RATE_LIMITED"
    );
}

async fn old_attempts_are_pruned(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com", &Caller::default()).await;
    for _ in 0..3 {
        login(&app, "wrong password", &from("203.0.113.1")).await;
    }
    let auth = &app.app.state.auth;
    assert_eq!(auth.prune().await.unwrap(), 0, "recent attempts stay");
    app.clock.advance(Duration::hours(3));
    // Three failed logins and the sign-up are gone; none counts toward any limit any more.
    assert_eq!(auth.prune().await.unwrap(), 4);
    assert_eq!(auth.prune().await.unwrap(), 0);
}
