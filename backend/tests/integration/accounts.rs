//! Accounts and sessions as a trader and an integrator use them (SEC-4, -5, -6, -9, -10, -12).

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{Backend, Caller, TestApp, on_both_databases};

const PASSWORD: &str = "a long trading passphrase";
const REGISTER: &str = "mutation($e: String!, $p: String!) { register(email: $e, password: $p) { token expiresAt user { id email totpEnabled } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { email } } }";
const ME: &str = "{ me { id email } }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

/// Registers `email` and returns its session token.
async fn register(app: &TestApp, email: &str) -> String {
    let answer = app
        .gql(REGISTER, json!({ "e": email, "p": PASSWORD }))
        .await;
    answer["data"]["register"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

/// Logs in as `caller` and returns the whole answer.
async fn login(app: &TestApp, email: impl Into<String>, password: &str, caller: &Caller) -> Value {
    let variables = json!({ "e": email.into(), "p": password });
    app.gql_with(LOGIN, variables, caller).await.json()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.gql_with(ME, json!({}), &Caller::with_token(token))
        .await
        .json()
}

on_both_databases!(
    a_new_account_is_logged_in_by_token_and_by_cookie,
    an_email_has_one_account_whatever_its_case,
    weak_passwords_and_bad_emails_name_the_field,
    wrong_passwords_and_unknown_emails_get_the_same_answer,
    an_old_token_dies_after_logout_everywhere,
    an_old_token_dies_after_a_password_change,
    an_old_token_dies_when_the_account_is_deleted,
    eleven_aliased_logins_are_refused_before_any_is_evaluated,
    ten_failures_lock_an_account_from_any_ip,
    a_session_lasts_thirty_days,
    the_security_log_shows_the_users_own_events_and_no_secrets,
    clients_behind_a_trusted_proxy_get_their_own_login_limit,
    a_hash_made_with_weaker_settings_is_upgraded_at_login,
    over_https_the_cookie_is_secure_and_hsts_is_sent,
    over_https_a_tossed_plain_cookie_is_ignored,
    a_deleted_accounts_log_is_kept_ninety_days_under_a_hashed_email,
);

async fn over_https_a_tossed_plain_cookie_is_ignored(backend: Backend) {
    let app = TestApp::with_env(backend, &[("COPYTRADE_TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    // An attacker's own valid session, planted under the unprefixed name by a sibling
    // subdomain, would make the victim act inside the attacker's account.
    let attacker = register(&app, "attacker@example.com").await;
    let over_https = |cookie: String| Caller {
        ip: Some([10, 0, 0, 2].into()),
        forwarded_for: Some("198.51.100.4".to_owned()),
        forwarded_proto: Some("https".to_owned()),
        cookie: Some(cookie),
        ..Caller::default()
    };
    let tossed = app
        .gql_with(
            ME,
            json!({}),
            &over_https(format!("copytrade_session={attacker}")),
        )
        .await
        .json();
    assert_eq!(code(&tossed), "UNAUTHENTICATED", "{tossed}");
    let proper = app
        .gql_with(
            ME,
            json!({}),
            &over_https(format!("__Host-copytrade_session={attacker}")),
        )
        .await
        .json();
    assert_eq!(
        proper["data"]["me"]["email"], "attacker@example.com",
        "{proper}"
    );
}

async fn a_deleted_accounts_log_is_kept_ninety_days_under_a_hashed_email(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = register(&app, "leaving@example.com").await;
    let deleted = app
        .gql_with(
            "mutation($p: String!) { deleteAccount(password: $p) }",
            json!({ "p": PASSWORD }),
            &Caller::with_token(&token),
        )
        .await
        .json();
    assert_eq!(deleted["data"]["deleteAccount"], true, "{deleted}");
    let auth = &app.app.state.auth;
    assert_eq!(
        auth.deleted_account_log("Leaving@example.com")
            .await
            .unwrap(),
        ["registered", "account_deleted"]
    );
    // No live row keeps the email (pg_dump shows live rows only; an SQLite file keeps freed
    // pages until they are reused, so its bytes prove nothing either way).
    if backend == Backend::Postgres {
        assert!(!crate::support::database_contains(&app, "leaving@example.com").await);
    }
    app.clock.advance(Duration::days(89));
    auth.prune().await.unwrap();
    assert_eq!(
        auth.deleted_account_log("leaving@example.com")
            .await
            .unwrap()
            .len(),
        2
    );
    app.clock.advance(Duration::days(2));
    auth.prune().await.unwrap();
    assert!(
        auth.deleted_account_log("leaving@example.com")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_new_account_is_logged_in_by_token_and_by_cookie(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response = app
        .gql_with(
            REGISTER,
            json!({ "e": "Trader@Example.com", "p": PASSWORD }),
            &Caller::default(),
        )
        .await;
    let answer = response.json();
    let payload = &answer["data"]["register"];
    assert_eq!(payload["user"]["email"], "trader@example.com", "{answer}");
    assert_eq!(payload["user"]["totpEnabled"], false);
    let token = payload["token"].as_str().unwrap();

    let cookie = response.header("set-cookie").to_owned();
    assert!(
        cookie.starts_with(&format!("copytrade_session={token};")),
        "{cookie}"
    );
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    assert_eq!(
        me(&app, token).await["data"]["me"]["email"],
        "trader@example.com"
    );
    let by_cookie = Caller {
        cookie: Some(format!("theme=dark; copytrade_session={token}")),
        ..Caller::default()
    };
    let answer = app.gql_with(ME, json!({}), &by_cookie).await.json();
    assert_eq!(answer["data"]["me"]["id"], payload["user"]["id"]);

    let logout = app
        .gql_with("mutation { logout }", json!({}), &by_cookie)
        .await;
    assert_eq!(logout.json()["data"]["logout"], true);
    let cleared = logout.header("set-cookie");
    assert!(
        cleared.starts_with("copytrade_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    let anonymous = app.gql(ME, json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
}

async fn an_email_has_one_account_whatever_its_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com").await;
    let again = app
        .gql(
            REGISTER,
            json!({ "e": " TRADER@example.com ", "p": PASSWORD }),
        )
        .await;
    assert_eq!(code(&again), "EMAIL_TAKEN");
}

async fn weak_passwords_and_bad_emails_name_the_field(backend: Backend) {
    let app = TestApp::new(backend).await;
    for (email, password, field, says) in [
        (
            "a@example.com",
            "short",
            "password",
            "at least 10 characters",
        ),
        ("a@example.com", "password123", "password", "too common"),
        ("not-an-email", PASSWORD, "email", "email address"),
    ] {
        let answer = app
            .gql(REGISTER, json!({ "e": email, "p": password }))
            .await;
        assert_eq!(code(&answer), "INVALID_INPUT", "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], field);
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(says),
            "{answer}"
        );
    }
}

async fn wrong_passwords_and_unknown_emails_get_the_same_answer(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com").await;
    let wrong = app
        .gql(
            LOGIN,
            json!({ "e": "trader@example.com", "p": "not the passphrase" }),
        )
        .await;
    let unknown = app
        .gql(
            LOGIN,
            json!({ "e": "nobody@example.com", "p": "not the passphrase" }),
        )
        .await;
    assert_eq!(code(&wrong), "BAD_CREDENTIALS");
    assert_eq!(
        wrong["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
    assert_eq!(
        wrong["errors"][0]["extensions"],
        unknown["errors"][0]["extensions"]
    );
    let right = app
        .gql(LOGIN, json!({ "e": "TRADER@example.com", "p": PASSWORD }))
        .await;
    assert!(right["data"]["login"]["token"].is_string(), "{right}");
}

async fn an_old_token_dies_after_logout_everywhere(backend: Backend) {
    let app = TestApp::new(backend).await;
    let old = register(&app, "trader@example.com").await;
    let other_device = app
        .gql(LOGIN, json!({ "e": "trader@example.com", "p": PASSWORD }))
        .await;
    let other_device = other_device["data"]["login"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .gql_with(
            "mutation { logoutEverywhere }",
            json!({}),
            &Caller::with_token(&old),
        )
        .await;
    assert_eq!(answer.json()["data"]["logoutEverywhere"], true);
    assert!(answer.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(code(&me(&app, &old).await), "UNAUTHENTICATED");
    assert_eq!(code(&me(&app, &other_device).await), "UNAUTHENTICATED");
    let fresh = app
        .gql(LOGIN, json!({ "e": "trader@example.com", "p": PASSWORD }))
        .await;
    let fresh = fresh["data"]["login"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        me(&app, &fresh).await["data"]["me"]["email"],
        "trader@example.com"
    );
}

async fn an_old_token_dies_after_a_password_change(backend: Backend) {
    let app = TestApp::new(backend).await;
    let old = register(&app, "trader@example.com").await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { token } }";
    let wrong = app
        .gql_with(
            change,
            json!({ "c": "not my password", "n": "another long passphrase" }),
            &Caller::with_token(&old),
        )
        .await;
    assert_eq!(code(&wrong.json()), "BAD_CREDENTIALS");
    let answer = app
        .gql_with(
            change,
            json!({ "c": PASSWORD, "n": "another long passphrase" }),
            &Caller::with_token(&old),
        )
        .await
        .json();
    let fresh = answer["data"]["changePassword"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    assert_eq!(code(&me(&app, &old).await), "UNAUTHENTICATED");
    assert_eq!(
        me(&app, &fresh).await["data"]["me"]["email"],
        "trader@example.com"
    );
    let old_password = app
        .gql(LOGIN, json!({ "e": "trader@example.com", "p": PASSWORD }))
        .await;
    assert_eq!(code(&old_password), "BAD_CREDENTIALS");
}

async fn an_old_token_dies_when_the_account_is_deleted(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = register(&app, "trader@example.com").await;
    let delete = "mutation($p: String!) { deleteAccount(password: $p) }";
    let wrong = app
        .gql_with(
            delete,
            json!({ "p": "not my password" }),
            &Caller::with_token(&token),
        )
        .await;
    assert_eq!(code(&wrong.json()), "BAD_CREDENTIALS");
    assert_eq!(
        me(&app, &token).await["data"]["me"]["email"],
        "trader@example.com"
    );
    let answer = app
        .gql_with(
            delete,
            json!({ "p": PASSWORD }),
            &Caller::with_token(&token),
        )
        .await
        .json();
    assert_eq!(answer["data"]["deleteAccount"], true, "{answer}");
    assert_eq!(code(&me(&app, &token).await), "UNAUTHENTICATED");
    // The email is free again.
    register(&app, "trader@example.com").await;
}

async fn eleven_aliased_logins_are_refused_before_any_is_evaluated(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com").await;
    let fields: String = (0..11)
        .map(|i| format!("l{i}: login(email: \"trader@example.com\", password: \"guess number {i}\") {{ token }} "))
        .collect();
    let attacker = Caller::from_ip([203, 0, 113, 7]);
    let answer = app
        .gql_with(&format!("mutation {{ {fields} }}"), json!({}), &attacker)
        .await
        .json();
    assert_eq!(code(&answer), "BAD_REQUEST", "{answer}");
    assert!(answer["data"].is_null(), "{answer}");
    // Nothing was guessed: the right password still works from there, once.
    let first = login(&app, "trader@example.com", PASSWORD, &attacker).await;
    assert!(first["data"]["login"]["token"].is_string(), "{first}");

    // One guess per request: the tenth attempt from the address is the last one checked.
    for i in 0..9 {
        let guess = login(&app, "trader@example.com", &format!("guess {i}"), &attacker).await;
        assert_eq!(code(&guess), "BAD_CREDENTIALS", "{guess}");
    }

    // The right password from that IP is refused too, with when to come back.
    let refused = login(&app, "trader@example.com", PASSWORD, &attacker).await;
    assert_eq!(code(&refused), "RATE_LIMITED");
    let retry = refused["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_i64()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");

    // Once the window has passed, the IP may try again.
    app.clock
        .advance(Duration::minutes(15) + Duration::seconds(1));
    let later = login(&app, "trader@example.com", PASSWORD, &attacker).await;
    assert!(later["data"]["login"]["token"].is_string(), "{later}");
}

async fn ten_failures_lock_an_account_from_any_ip(backend: Backend) {
    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com").await;
    for (i, email) in ["trader@example.com", "ghost@example.com"]
        .iter()
        .enumerate()
    {
        for n in 0..10u8 {
            let from = Caller::from_ip([198, 51, 100 + i as u8, n]);
            let answer = login(&app, *email, "wrong guess here", &from).await;
            assert_eq!(code(&answer), "BAD_CREDENTIALS");
        }
    }
    let fresh_ip = Caller::from_ip([192, 0, 2, 1]);
    let locked = login(&app, "trader@example.com", PASSWORD, &fresh_ip).await;
    let ghost = login(&app, "ghost@example.com", PASSWORD, &fresh_ip).await;
    assert_eq!(code(&locked), "RATE_LIMITED");
    assert_eq!(
        code(&ghost),
        "RATE_LIMITED",
        "an unknown email must look the same"
    );
    app.clock.advance(Duration::minutes(16));
    let open = login(&app, "trader@example.com", PASSWORD, &fresh_ip).await;
    assert!(open["data"]["login"]["token"].is_string(), "{open}");
}

async fn a_session_lasts_thirty_days(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = register(&app, "trader@example.com").await;
    app.clock.advance(Duration::days(29));
    assert_eq!(
        me(&app, &token).await["data"]["me"]["email"],
        "trader@example.com"
    );
    app.clock.advance(Duration::days(2));
    assert_eq!(code(&me(&app, &token).await), "UNAUTHENTICATED");
}

async fn the_security_log_shows_the_users_own_events_and_no_secrets(backend: Backend) {
    let app = TestApp::new(backend).await;
    let alice = register(&app, "alice@example.com").await;
    let bob = register(&app, "bob@example.com").await;
    login(
        &app,
        "alice@example.com",
        "wrong password!",
        &Caller::from_ip([192, 0, 2, 9]),
    )
    .await;
    login(&app, "alice@example.com", PASSWORD, &Caller::default()).await;
    let events = "{ securityEvents { kind ip at } }";
    let answer = app
        .gql_with(events, json!({}), &Caller::with_token(&alice))
        .await
        .json();
    let kinds: Vec<&str> = answer["data"]["securityEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["LOGIN_SUCCEEDED", "LOGIN_FAILED", "REGISTERED"],
        "{answer}"
    );
    assert_eq!(answer["data"]["securityEvents"][1]["ip"], "192.0.2.9");
    let text = answer.to_string();
    assert!(
        !text.contains(PASSWORD) && !text.contains("wrong password!") && !text.contains(&alice)
    );

    let theirs = app
        .gql_with(events, json!({}), &Caller::with_token(&bob))
        .await
        .json();
    let kinds: Vec<&str> = theirs["data"]["securityEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["REGISTERED"], "Bob sees only his own log");
    assert_eq!(
        me(&app, &bob).await["data"]["me"]["email"],
        "bob@example.com"
    );
}

async fn clients_behind_a_trusted_proxy_get_their_own_login_limit(backend: Backend) {
    let app = TestApp::with_env(backend, &[("COPYTRADE_TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    register(&app, "trader@example.com").await;
    let via_proxy = |client: &str| Caller {
        ip: Some([10, 0, 0, 2].into()),
        forwarded_for: Some(format!("{client}, 10.9.9.9")),
        ..Caller::default()
    };
    for _ in 0..10 {
        let answer = login(
            &app,
            "nobody@example.com",
            "wrong guess here",
            &via_proxy("198.51.100.1"),
        )
        .await;
        assert_eq!(code(&answer), "BAD_CREDENTIALS");
    }
    let same_client = login(
        &app,
        "trader@example.com",
        PASSWORD,
        &via_proxy("198.51.100.1"),
    )
    .await;
    assert_eq!(code(&same_client), "RATE_LIMITED");
    let other_client = login(
        &app,
        "trader@example.com",
        PASSWORD,
        &via_proxy("198.51.100.2"),
    )
    .await;
    assert!(
        other_client["data"]["login"]["token"].is_string(),
        "{}",
        other_client
    );

    // A client that is not a trusted proxy cannot pick its own address with the header.
    let spoofer = |claimed: &str| Caller {
        ip: Some([203, 0, 113, 50].into()),
        forwarded_for: Some(claimed.to_owned()),
        ..Caller::default()
    };
    for n in 0..10 {
        let claimed = format!("192.0.2.{n}");
        login(
            &app,
            format!("guess{n}@example.com"),
            "wrong guess here",
            &spoofer(&claimed),
        )
        .await;
    }
    let answer = login(&app, "trader@example.com", PASSWORD, &spoofer("192.0.2.99")).await;
    assert_eq!(code(&answer), "RATE_LIMITED");
}

async fn stored_hash(app: &TestApp) -> String {
    use copytrade::db::schema::users;
    use diesel::prelude::*;
    let db = &app.app.state.db;
    let hash: Result<String, copytrade::db::DbError> = async {
        copytrade::with_conn!(db, read, |c| {
            Ok(
                diesel_async::RunQueryDsl::get_result(users::table.select(users::password_hash), c)
                    .await?,
            )
        })
    }
    .await;
    hash.unwrap()
}

async fn a_hash_made_with_weaker_settings_is_upgraded_at_login(backend: Backend) {
    use argon2::password_hash::PasswordHasher;
    use copytrade::db::schema::users;
    use diesel::prelude::*;

    let app = TestApp::new(backend).await;
    register(&app, "trader@example.com").await;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password_with_salt(PASSWORD.as_bytes(), &[9u8; 16])
    .unwrap()
    .to_string();
    let db = &app.app.state.db;
    let set: Result<usize, copytrade::db::DbError> = async {
        copytrade::with_conn!(db, write, |c| {
            Ok(diesel_async::RunQueryDsl::execute(
                diesel::update(users::table).set(users::password_hash.eq(&weak)),
                c,
            )
            .await?)
        })
    }
    .await;
    assert_eq!(set.unwrap(), 1);

    let answer = login(&app, "trader@example.com", PASSWORD, &Caller::default()).await;
    assert!(answer["data"]["login"]["token"].is_string(), "{answer}");
    let upgraded = stored_hash(&app).await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    let again = login(&app, "trader@example.com", PASSWORD, &Caller::default()).await;
    assert!(again["data"]["login"]["token"].is_string());
}

async fn over_https_the_cookie_is_secure_and_hsts_is_sent(backend: Backend) {
    let app = TestApp::with_env(backend, &[("COPYTRADE_TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    let proxied = |ip: [u8; 4]| Caller {
        ip: Some(ip.into()),
        forwarded_for: Some("198.51.100.4".to_owned()),
        forwarded_proto: Some("https".to_owned()),
        ..Caller::default()
    };
    let response = app
        .gql_with(
            REGISTER,
            json!({ "e": "trader@example.com", "p": PASSWORD }),
            &proxied([10, 0, 0, 2]),
        )
        .await;
    let cookie = response.header("set-cookie").to_owned();
    assert!(
        cookie.starts_with("__Host-copytrade_session=") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    assert_eq!(
        response.header("strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
    let token = response.json()["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_cookie = Caller {
        cookie: Some(format!("__Host-copytrade_session={token}")),
        ..proxied([10, 0, 0, 2])
    };
    let answer = app.gql_with(ME, json!({}), &by_cookie).await.json();
    assert_eq!(answer["data"]["me"]["email"], "trader@example.com");

    // A client that is not a trusted proxy cannot claim HTTPS.
    let spoofed = app
        .gql_with(
            LOGIN,
            json!({ "e": "trader@example.com", "p": PASSWORD }),
            &proxied([203, 0, 113, 9]),
        )
        .await;
    assert!(spoofed.headers.get("strict-transport-security").is_none());
    assert!(
        spoofed
            .header("set-cookie")
            .starts_with("copytrade_session=")
    );
}
