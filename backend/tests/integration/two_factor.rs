//! Two-factor login as a trader sets it up with an authenticator app (SEC-7, SEC-8).

use chrono::Duration;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

use crate::support::{Backend, Caller, TestApp, on_both_databases};

const PASSWORD: &str = "a long trading passphrase";
const LOGIN: &str = "mutation($e: String!, $p: String!, $c: String) { login(email: $e, password: $p, totpCode: $c) { token user { totpEnabled } } }";

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

/// What the authenticator app shows for `secret` at the app's current time.
pub(crate) fn authenticator_code(app: &TestApp, secret: &str) -> String {
    let seed = Secret::try_from_base32(secret).unwrap();
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(seed.to_vec())
        .build()
        .unwrap();
    let now = app.clock.clock().now().timestamp() as u64;
    totp.generate(now).to_string()
}

pub(crate) struct Enrolled {
    pub token: String,
    pub secret: String,
    pub backup_codes: Vec<String>,
}

/// Registers a trader and turns two-factor login on the way the web app does.
pub(crate) async fn enrol(app: &TestApp) -> Enrolled {
    let register = app
        .gql(
            "mutation($p: String!) { register(email: \"trader@example.com\", password: $p) { token } }",
            json!({ "p": PASSWORD }),
        )
        .await;
    let token = register["data"]["register"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_trader = Caller::with_token(&token);
    let setup = app
        .gql_with(
            "mutation { beginTotpSetup { secret otpauthUri qrCodeSvg } }",
            json!({}),
            &as_trader,
        )
        .await
        .json();
    let setup = &setup["data"]["beginTotpSetup"];
    let secret = setup["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{setup}"))
        .to_owned();
    assert!(
        setup["otpauthUri"]
            .as_str()
            .unwrap()
            .contains(&format!("secret={secret}"))
    );
    assert!(setup["qrCodeSvg"].as_str().unwrap().starts_with("<svg"));
    let confirm = app
        .gql_with(
            "mutation($c: String!, $p: String!) { confirmTotp(code: $c, password: $p) }",
            json!({ "c": authenticator_code(app, &secret), "p": PASSWORD }),
            &as_trader,
        )
        .await
        .json();
    let backup_codes: Vec<String> = serde_json::from_value(confirm["data"]["confirmTotp"].clone())
        .unwrap_or_else(|_| panic!("{confirm}"));
    assert_eq!(backup_codes.len(), 10);
    Enrolled {
        token,
        secret,
        backup_codes,
    }
}

async fn login(app: &TestApp, password: &str, totp_code: Option<&str>) -> Value {
    app.gql(
        LOGIN,
        json!({ "e": "trader@example.com", "p": password, "c": totp_code }),
    )
    .await
}

on_both_databases!(
    a_login_needs_the_password_first_and_then_a_fresh_code,
    a_backup_code_works_once_in_place_of_a_code,
    turning_two_factor_off_needs_the_password_and_a_code,
    regenerated_backup_codes_replace_the_old_ones,
    the_seed_is_never_stored_in_plain_text,
    linking_a_broker_account_needs_a_fresh_code,
    turning_two_factor_on_needs_the_password,
    reauthenticating_with_two_factor_on_needs_a_code,
);

async fn turning_two_factor_on_needs_the_password(backend: Backend) {
    let app = TestApp::new(backend).await;
    // A thief with the session would bind the account to their own authenticator.
    let thief = app.register_trader("trader@example.com").await;
    let setup = app
        .gql_with("mutation { beginTotpSetup { secret } }", json!({}), &thief)
        .await
        .json();
    let secret = setup["data"]["beginTotpSetup"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirm = "mutation($c: String!, $p: String!) { confirmTotp(code: $c, password: $p) }";
    let refused = app
        .gql_with(
            confirm,
            json!({ "c": authenticator_code(&app, &secret), "p": "not the password" }),
            &thief,
        )
        .await
        .json();
    assert_eq!(code(&refused), "BAD_CREDENTIALS", "{refused}");
    let without = app
        .gql_with(
            "mutation($c: String!) { confirmTotp(code: $c) }",
            json!({ "c": authenticator_code(&app, &secret) }),
            &thief,
        )
        .await
        .json();
    assert!(
        without["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{without}"
    );
    let me = app
        .gql_with("{ me { totpEnabled } }", json!({}), &thief)
        .await
        .json();
    assert_eq!(me["data"]["me"]["totpEnabled"], false, "still off");
}

async fn reauthenticating_with_two_factor_on_needs_a_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    let session = Caller::with_token(&trader.token);
    let reauth = "mutation($p: String!, $c: String) { reauthenticate(password: $p, totpCode: $c) { token } }";
    let no_code = app
        .gql_with(reauth, json!({ "p": PASSWORD }), &session)
        .await
        .json();
    assert_eq!(code(&no_code), "TOTP_REQUIRED", "{no_code}");
    app.clock.advance(Duration::seconds(30));
    let answer = app
        .gql_with(
            reauth,
            json!({ "p": PASSWORD, "c": authenticator_code(&app, &trader.secret) }),
            &session,
        )
        .await
        .json();
    assert!(
        answer["data"]["reauthenticate"]["token"].is_string(),
        "{answer}"
    );
}

async fn a_login_needs_the_password_first_and_then_a_fresh_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    let me = app
        .gql_with(
            "{ me { totpEnabled } }",
            json!({}),
            &Caller::with_token(&trader.token),
        )
        .await
        .json();
    assert_eq!(me["data"]["me"]["totpEnabled"], true);

    assert_eq!(code(&login(&app, PASSWORD, None).await), "TOTP_REQUIRED");
    let current = authenticator_code(&app, &trader.secret);
    assert_eq!(
        code(&login(&app, "wrong password here", Some(&current)).await),
        "BAD_CREDENTIALS"
    );
    assert_eq!(
        code(&login(&app, PASSWORD, Some("000000")).await),
        "TOTP_INVALID"
    );
    // The code that confirmed the setup belongs to this step: it was used, so it is a replay.
    assert_eq!(
        code(&login(&app, PASSWORD, Some(&current)).await),
        "TOTP_INVALID"
    );

    app.clock.advance(Duration::seconds(30));
    let next = authenticator_code(&app, &trader.secret);
    let answer = login(&app, PASSWORD, Some(&next)).await;
    assert_eq!(
        answer["data"]["login"]["user"]["totpEnabled"], true,
        "{answer}"
    );
    assert_eq!(
        code(&login(&app, PASSWORD, Some(&next)).await),
        "TOTP_INVALID",
        "replayed code"
    );
}

async fn a_backup_code_works_once_in_place_of_a_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    let backup = trader.backup_codes[3].to_lowercase();
    let answer = login(&app, PASSWORD, Some(&backup)).await;
    assert!(answer["data"]["login"]["token"].is_string(), "{answer}");
    assert_eq!(
        code(&login(&app, PASSWORD, Some(&backup)).await),
        "TOTP_INVALID"
    );
    assert!(
        login(&app, PASSWORD, Some(&trader.backup_codes[4])).await["data"]["login"].is_object()
    );
    let events = app
        .gql_with(
            "{ securityEvents { kind } }",
            json!({}),
            &Caller::with_token(&trader.token),
        )
        .await
        .json();
    let used = events["data"]["securityEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "BACKUP_CODE_USED")
        .count();
    assert_eq!(used, 2);
}

async fn turning_two_factor_off_needs_the_password_and_a_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    let as_trader = Caller::with_token(&trader.token);
    let disable = "mutation($p: String!, $c: String!) { disableTotp(password: $p, totpCode: $c) }";
    let wrong_password = app
        .gql_with(
            disable,
            json!({ "p": "not my password", "c": trader.backup_codes[0] }),
            &as_trader,
        )
        .await
        .json();
    assert_eq!(code(&wrong_password), "BAD_CREDENTIALS");
    let wrong_code = app
        .gql_with(disable, json!({ "p": PASSWORD, "c": "123456" }), &as_trader)
        .await
        .json();
    assert_eq!(code(&wrong_code), "TOTP_INVALID");
    let done = app
        .gql_with(
            disable,
            json!({ "p": PASSWORD, "c": trader.backup_codes[0] }),
            &as_trader,
        )
        .await
        .json();
    assert_eq!(done["data"]["disableTotp"], true, "{done}");
    assert!(login(&app, PASSWORD, None).await["data"]["login"]["token"].is_string());
}

async fn regenerated_backup_codes_replace_the_old_ones(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    app.clock.advance(Duration::seconds(30));
    let regenerate = "mutation($c: String!) { regenerateBackupCodes(totpCode: $c) }";
    let answer = app
        .gql_with(
            regenerate,
            json!({ "c": authenticator_code(&app, &trader.secret) }),
            &Caller::with_token(&trader.token),
        )
        .await
        .json();
    let fresh: Vec<String> =
        serde_json::from_value(answer["data"]["regenerateBackupCodes"].clone()).unwrap();
    assert_eq!(fresh.len(), 10);
    assert_eq!(
        code(&login(&app, PASSWORD, Some(&trader.backup_codes[0])).await),
        "TOTP_INVALID"
    );
    assert!(login(&app, PASSWORD, Some(&fresh[0])).await["data"]["login"].is_object());
}

async fn the_seed_is_never_stored_in_plain_text(backend: Backend) {
    let app = TestApp::new(backend).await;
    let trader = enrol(&app).await;
    let seed = Secret::try_from_base32(&trader.secret).unwrap().to_vec();
    if backend == Backend::Sqlite {
        let mut stored = Vec::new();
        for file in ["copytrade.db", "copytrade.db-wal"] {
            stored
                .extend(std::fs::read(app.dir.path().join("data").join(file)).unwrap_or_default());
        }
        assert!(
            !stored.windows(seed.len()).any(|w| w == seed.as_slice()),
            "raw seed on disk"
        );
        assert!(
            !stored
                .windows(trader.secret.len())
                .any(|w| w == trader.secret.as_bytes()),
            "base32 seed on disk"
        );
        for backup in &trader.backup_codes {
            let plain = backup.replace('-', "");
            assert!(
                !stored.windows(plain.len()).any(|w| w == plain.as_bytes()),
                "backup code on disk"
            );
        }
    } else {
        let url = &app.pg.as_ref().unwrap().url;
        let dump = std::process::Command::new("psql")
            .args([url.as_str(), "-Atc", "SELECT encode(totp_secret, 'hex') || ' ' || coalesce(encode(totp_pending_secret, 'hex'), '') FROM users; SELECT code_hash FROM backup_codes"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&dump.stdout).to_lowercase();
        assert!(
            text.len() > 64,
            "nothing read: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let seed_hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!text.contains(&seed_hex), "raw seed in the database");
        for backup in &trader.backup_codes {
            assert!(!text.contains(&backup.replace('-', "").to_lowercase()));
        }
    }
}

async fn linking_a_broker_account_needs_a_fresh_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    let enrolled = enrol(&app).await;
    let trader = Caller::with_token(&enrolled.token);
    let link = "mutation($c: String) { linkBrokerAccount(input: { broker: PAPER, environment: DEMO, label: \"p\", credentials: {}, totpCode: $c }) { status } }";

    let without = app.gql_with(link, json!({}), &trader).await.json();
    assert_eq!(code(&without), "TOTP_REQUIRED");
    let wrong = app
        .gql_with(link, json!({ "c": "000000" }), &trader)
        .await
        .json();
    assert_eq!(code(&wrong), "TOTP_INVALID");
    // The code used to turn two-factor on belongs to this step: wait for the next one.
    app.clock.advance(Duration::seconds(30));
    let fresh = authenticator_code(&app, &enrolled.secret);
    let linked = app
        .gql_with(link, json!({ "c": fresh }), &trader)
        .await
        .json();
    assert_eq!(
        linked["data"]["linkBrokerAccount"]["status"], "CONNECTED",
        "{linked}"
    );
    // A code is good once.
    let replayed = app
        .gql_with(link, json!({ "c": fresh }), &trader)
        .await
        .json();
    assert_eq!(code(&replayed), "TOTP_INVALID");
    let listed = app
        .gql_with("{ brokerConnections { id } }", json!({}), &trader)
        .await
        .json();
    assert_eq!(
        listed["data"]["brokerConnections"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
