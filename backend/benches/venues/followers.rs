//! The venues bench's server and trader: CopyTrade started in this process with the
//! simulator's endpoints, the logins of `SPREAD` made on the simulator and linked through the
//! GraphQL API as the web app does, and one copy group of them all on one webhook.

use std::net::SocketAddr;

use copytrade::app::{App, StartupError};
use copytrade::clock::Clock;
use copytrade::config::Config;
use copytrade::copier::Copier;
use copytrade::db::types::Id;
use serde_json::{Value, json};

use crate::brokersim::BrokerSim;
use crate::raw_http::request;
use crate::{SPREAD, Venue};

/// A follower: its trading account's id, its venue and its follower settings.
pub struct Follower {
    pub account: String,
    pub venue: Venue,
    settings: Value,
}

/// The server, running on a loopback port, with its trader signed in.
pub struct Server {
    pub addr: SocketAddr,
    pub copier: Copier,
    /// The trader, whose live feed the bench reads.
    pub user: Id,
    token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<Result<(), StartupError>>,
    _dir: tempfile::TempDir,
}

const LINK: &str = "mutation($i: LinkBrokerAccountInput!) {
    linkBrokerAccount(input: $i) { accounts { id name externalId } } }";

impl Server {
    /// On SQLite unless a PostgreSQL URL is given; with every limit out of the way.
    pub async fn start(sim: &BrokerSim, database_url: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let mut vars = vec![
            (
                "COPYTRADE_DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
            (
                "COPYTRADE_STATIC_DIR".to_owned(),
                dir.path().join("dist").display().to_string(),
            ),
            ("COPYTRADE_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("COPYTRADE_API_RATE".to_owned(), "100000".to_owned()),
            ("COPYTRADE_API_BURST".to_owned(), "1000000".to_owned()),
            ("COPYTRADE_SIGNAL_RATE".to_owned(), "10000000".to_owned()),
        ];
        vars.extend(sim.endpoints.iter().cloned());
        if let Some(url) = database_url {
            vars.push(("COPYTRADE_DATABASE_URL".to_owned(), url));
        }
        let lookup = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let config = Config::from_lookup(&lookup).expect("the bench's settings are valid");
        let app = App::prepare(config, &lookup, Clock::system())
            .await
            .expect("the server starts");
        let copier = app.state.copier.clone();
        let listener = app.bind().await.expect("a loopback port");
        let addr = listener.local_addr().expect("the bound address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        let mut server = Self {
            addr,
            copier,
            user: Id::new(),
            token: String::new(),
            stop,
            serving,
            _dir: dir,
        };
        let registered = server
            .gql(
                "mutation { register(email: \"venues@example.com\", password: \"a long benchmark passphrase\") { token user { id } } }",
                json!({}),
            )
            .await;
        server.token = registered["register"]["token"]
            .as_str()
            .expect("a session token")
            .to_owned();
        server.user = registered["register"]["user"]["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("the trader's id");
        server
    }

    /// One GraphQL call as the trader; panics on any error.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let auth = if self.token.is_empty() {
            String::new()
        } else {
            format!("Authorization: Bearer {}\r\n", self.token)
        };
        let body = json!({ "query": query, "variables": variables }).to_string();
        let headers = format!("Content-Type: application/json\r\n{auth}");
        let (status, text) = request(self.addr, "POST", "/graphql", &headers, &body)
            .await
            .expect("the server answers");
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&text).expect("GraphQL answers JSON");
        assert!(answer["errors"].is_null(), "{query}: {answer}");
        answer["data"].clone()
    }

    /// Links one login; the trading accounts it brought.
    async fn link(&self, broker: &str, label: &str, credentials: Value) -> Vec<Value> {
        let input = json!({ "broker": broker, "environment": "DEMO", "label": label,
                            "credentials": credentials });
        let linked = self.gql(LINK, json!({ "i": input })).await;
        linked["linkBrokerAccount"]["accounts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// One webhook and one copy group with every follower; the webhook's token.
    pub async fn copy_group(&self, followers: &[Follower]) -> String {
        let created = self
            .gql(
                "mutation { createWebhook(name: \"venues\") { webhook { id } token } }",
                json!({}),
            )
            .await;
        let webhook = created["createWebhook"]["webhook"]["id"].clone();
        let group = self
            .gql(
                "mutation($i: CreateCopyGroupInput!) { createCopyGroup(input: $i) { id } }",
                json!({ "i": { "name": "Every venue", "webhookId": webhook } }),
            )
            .await["createCopyGroup"]["id"]
            .clone();
        for follower in followers {
            let mut input = json!({ "copyGroupId": group, "tradingAccountId": follower.account });
            for (key, value) in follower.settings.as_object().into_iter().flatten() {
                input[key] = value.clone();
            }
            self.gql(
                "mutation($i: AddFollowerInput!) { addFollower(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        }
        created["createWebhook"]["token"]
            .as_str()
            .expect("a webhook token")
            .to_owned()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.serving
            .await
            .expect("the server task ends")
            .expect("the server stops cleanly");
    }
}

/// Makes every login of `SPREAD` on the simulator and links it; the followers.
pub async fn link_all(sim: &BrokerSim, server: &Server) -> Vec<Follower> {
    let mut followers = Vec::new();
    for (venue, logins, accounts) in SPREAD {
        for login in 0..logins {
            let linked = link_login(sim, server, venue, login, accounts).await;
            assert_eq!(
                linked.len(),
                accounts,
                "{} login {login} brought {linked:?}",
                venue.name()
            );
            let settings = if venue == Venue::Bybit {
                // ES does not trade on Bybit: the follower trades BTCUSDT, a fixed size.
                json!({ "symbolMap": [{ "from": "ES", "to": "BTCUSDT" }], "fixedQuantity": 0.01 })
            } else {
                json!({})
            };
            followers.extend(linked.into_iter().map(|account| Follower {
                account: account["id"].as_str().expect("an account id").to_owned(),
                venue,
                settings: settings.clone(),
            }));
        }
    }
    followers
}

/// Login `n` of `venue` with `accounts` accounts: made on the simulator, linked in CopyTrade.
async fn link_login(
    sim: &BrokerSim,
    server: &Server,
    venue: Venue,
    n: usize,
    accounts: usize,
) -> Vec<Value> {
    let label = format!("{} {n}", venue.name());
    match venue {
        Venue::Tradovate | Venue::Apex => {
            let apex = venue == Venue::Apex;
            let name = format!("bench-{}-{n}", venue.name().to_lowercase());
            let password = format!("{name}-password");
            let sec = format!("{name}-secret");
            let cid = 6000 + 100 * usize::from(apex) + n;
            let names: Vec<Value> = (0..accounts)
                .map(|i| {
                    let name = if apex {
                        format!("APEX-{}-{:02}", 61000 + n, i + 1)
                    } else {
                        format!("DEMO6{n:02}{i:02}")
                    };
                    json!({ "name": name })
                })
                .collect();
            sim.control(
                "/tradovate/users",
                json!({ "name": name, "password": password, "cid": cid, "sec": sec,
                        "appId": "CopyTrade", "accounts": names }),
            )
            .await;
            let broker = if apex { "APEX" } else { "TRADOVATE" };
            server
                .link(
                    broker,
                    &label,
                    json!({ "username": name, "password": password, "appId": "CopyTrade",
                            "cid": cid.to_string(), "sec": sec }),
                )
                .await
        }
        Venue::TopstepX => {
            let user = format!("bench-topstep-{n}");
            let key = format!("{user}-key");
            let names: Vec<Value> = (0..accounts)
                .map(|i| json!({ "name": format!("50KTC-V2-6{n:02}{i:02}") }))
                .collect();
            sim.control(
                "/projectx/users",
                json!({ "userName": user, "apiKey": key, "accounts": names }),
            )
            .await;
            server
                .link(
                    "TOPSTEPX",
                    &label,
                    json!({ "username": user, "apiKey": key }),
                )
                .await
        }
        Venue::Bybit => {
            // A Bybit key trades one account.
            let key = format!("bench-bybit-key-{n}");
            let secret = format!("bench-bybit-secret-{n}");
            sim.control(
                "/bybit/users",
                json!({ "apiKey": key, "apiSecret": secret }),
            )
            .await;
            server
                .link(
                    "BYBIT",
                    &label,
                    json!({ "apiKey": key, "apiSecret": secret }),
                )
                .await
        }
        Venue::Paper => server.link("PAPER", &label, json!({})).await,
    }
}
