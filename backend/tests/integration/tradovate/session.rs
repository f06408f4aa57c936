//! The login: one session for many calls, renewed before expiry, a new login only once it died;
//! wrong credentials and a missing device id refused; Apex's accounts; contracts.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_session_serves_many_calls_renews_itself_and_logs_in_again_only_when_it_died() {
    let sim = venue().await;
    let accounts = user(&sim, "renewer", &["DEMO100"]).await;
    let account = &accounts[0].1;

    let wrong = adapter(&sim, "renewer", "not-the-password", Scope::All);
    let err = wrong.authenticate().await.expect_err("a wrong password");
    assert!(matches!(err, BrokerError::BadCredentials(_)), "{err:?}");
    assert!(
        err.to_string().contains("Incorrect username or password"),
        "{err}"
    );
    let tradovate = adapter(&sim, "renewer", PASSWORD, Scope::All);
    let answer = sim
        .post("/tradovate/config", json!({ "tokenLifetimeSeconds": 3 }))
        .await;
    assert_eq!(answer["tokenLifetimeSeconds"], 3);
    let before = logins(&sim).await;

    // Many calls, one login.
    set_price(&sim, "ES", 6000.0).await;
    for n in 0..5 {
        tradovate
            .place_order(
                account,
                &order(&format!("many-{n}"), Side::Buy, OrderType::Market, 1.0),
            )
            .await
            .expect("placed");
        tradovate.snapshot(account).await.expect("a snapshot");
    }
    assert_eq!(
        logins(&sim).await,
        before + 1,
        "exactly one login for many calls"
    );

    // A token living 3 s is renewed by the timer, not replaced by a second login.
    eventually(10, "the session is renewed", || async {
        !sim.requests(VENUE, "/auth/renewaccesstoken")
            .await
            .is_empty()
    })
    .await;
    let renewed_at = sim.requests(VENUE, "/auth/renewaccesstoken").await.len();
    eventually(10, "the session is renewed twice", || async {
        sim.requests(VENUE, "/auth/renewaccesstoken").await.len() > renewed_at
    })
    .await;
    tradovate
        .snapshot(account)
        .await
        .expect("calls go on after the first token's expiry");
    assert_eq!(
        logins(&sim).await,
        before + 1,
        "renewal never logs in again"
    );

    // When the session dies anyway, the next call logs in once and goes through.
    sim.post("/tradovate/config", json!({ "tokenLifetimeSeconds": 5400 }))
        .await;
    sim.post("/tradovate/tokens/expire", json!({})).await;
    let snapshot = tradovate.snapshot(account).await.expect("a new session");
    assert_eq!(snapshot.positions[0].quantity, 5.0);
    assert_eq!(logins(&sim).await, before + 2);

    // The password travels in the login's body only, and never comes back in an error.
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    for request in sim.requests(VENUE, "/").await {
        let login = request["path"] == "/v1/auth/accesstokenrequest";
        let mut seen = format!("{} {}", request["query"], request["headers"]);
        if !login {
            seen.push_str(request["body"].as_str().unwrap_or_default());
        }
        assert!(!seen.contains(PASSWORD), "the password went out: {request}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apex_sees_only_its_accounts_and_contracts_resolve_to_the_front_month() {
    let sim = venue().await;
    let accounts = user(
        &sim,
        "apexer",
        &["APEX-4421-01", "DEMO4421", "apex-4421-02"],
    )
    .await;
    let apex = adapter(&sim, "apexer", PASSWORD, Scope::Apex);
    let listed: Vec<String> = apex
        .accounts()
        .await
        .expect("accounts")
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(listed, ["APEX-4421-01", "apex-4421-02"]);
    let demo = &accounts[1].1;
    assert!(matches!(
        apex.snapshot(demo).await,
        Err(BrokerError::UnknownAccount(_))
    ));
    let all = adapter(&sim, "apexer", PASSWORD, Scope::All);
    assert_eq!(all.accounts().await.expect("accounts").len(), 3);
    let snapshot = all.snapshot(demo).await.expect("a snapshot");
    assert_eq!(snapshot.balance, Some(50_000.0));

    let es = apex.instrument("ES").await.expect("ES resolves");
    assert!(
        es.symbol.starts_with("ES") && es.symbol.len() == 4,
        "{}",
        es.symbol
    );
    assert_eq!(
        (es.tick_size, es.multiplier, es.lot_size),
        (0.25, 50.0, 1.0)
    );
    // The contract's own name resolves to itself; a micro is its own product.
    assert_eq!(
        apex.instrument(&es.symbol.to_lowercase())
            .await
            .expect("by name"),
        es
    );
    let mes = apex.instrument("MES").await.expect("MES resolves");
    assert_eq!(
        (mes.symbol[1..].to_owned(), mes.multiplier),
        (es.symbol.clone(), 5.0)
    );
    let cl = apex.instrument("CL").await.expect("CL resolves");
    assert_eq!((cl.tick_size, cl.multiplier), (0.01, 1000.0));
    for unknown in ["NOPE", "ESZ0", "E S"] {
        assert!(
            matches!(
                apex.instrument(unknown).await,
                Err(BrokerError::UnknownSymbol(_))
            ),
            "{unknown}"
        );
    }
    // Resolutions are kept for the day.
    let suggests = sim.requests(VENUE, "/contract/suggest").await.len();
    apex.instrument("ES").await.expect("ES again");
    assert_eq!(
        sim.requests(VENUE, "/contract/suggest").await.len(),
        suggests
    );
}

const LINK: &str = "mutation($input: LinkBrokerAccountInput!) { linkBrokerAccount(input: $input) {
    id status lastError credentialHint accounts { name externalId balance } } }";

/// Through the API: an Apex login links with its Apex accounts only; a wrong password and a
/// missing device id are refused, and the password never comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apex_login_links_through_the_api_with_its_apex_accounts_only() {
    let sim = venue().await;
    let accounts = user(&sim, "apexlink", &["APEX-9001-01", "DEMO9001"]).await;
    let app = crate::support::TestApp::with_env(crate::support::Backend::Sqlite, &sim.env()).await;
    let trader = app.register_trader("apex@example.com").await;
    let link = |password: &str, device: Option<&str>| {
        json!({ "input": { "broker": "APEX", "environment": "DEMO", "label": "Apex",
            "credentials": { "username": "apexlink", "password": password, "appId": "CopyTrade",
                "cid": "8", "sec": "sec-8", "deviceId": device } } })
    };
    let wrong = app
        .gql_with(LINK, link("wrong-password", Some("dev-9")), &trader)
        .await
        .text();
    assert!(wrong.contains("BROKER_BAD_CREDENTIALS"), "{wrong}");
    let linked = app
        .gql_with(LINK, link(PASSWORD, Some("dev-9")), &trader)
        .await
        .json();
    let connection = &linked["data"]["linkBrokerAccount"];
    assert_eq!(connection["status"], "CONNECTED", "{linked}");
    assert_eq!(
        connection["accounts"],
        json!([{ "name": "APEX-9001-01", "externalId": accounts[0].1, "balance": 50_000.0 }])
    );
    assert!(!linked.to_string().contains(PASSWORD));
    let sessions = sim.get("/tradovate/sessions").await;
    assert_eq!(sessions[0]["deviceId"], "dev-9", "{sessions}");

    // Without a device id the adapter refuses to log in at all.
    let field = |f, v: &str| (f, Some(v.to_owned()));
    use copytrade::brokers::credentials::Field;
    let no_device = copytrade::brokers::Credentials::from_pairs([
        field(Field::Username, "apexlink"),
        field(Field::Password, PASSWORD),
        field(Field::AppId, "CopyTrade"),
        field(Field::Cid, "8"),
        field(Field::Sec, "sec-8"),
    ]);
    let refused = app.app.state.brokers.adapter(
        copytrade::brokers::BrokerKind::Tradovate,
        copytrade::brokers::BrokerEnvironment::Demo,
        "connection",
        &no_device,
    );
    match refused {
        Err(BrokerError::BadCredentials(words)) => assert!(words.contains("device id"), "{words}"),
        Err(other) => panic!("not a credentials error: {other:?}"),
        Ok(_) => panic!("an adapter without a device id"),
    }
}
