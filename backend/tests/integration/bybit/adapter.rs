//! The Bybit adapter on its own, as the copier uses it, against the simulator: orders, fills on
//! the stream, a repeated client order id, cancels, flattening and rate limits.

use std::time::Duration;

use copytrade::brokers::{BrokerError, BrokerEvent, OrderRequest, OrderStatus, OrderType, Side};

use super::{CANARY, KEY, app_with, assert_only_allowed_calls};
use crate::support::Backend;
use crate::support::sim_bybit::SimBybit;

fn order(link_id: &str, side: Side, order_type: OrderType, quantity: f64) -> OrderRequest {
    OrderRequest {
        client_order_id: link_id.to_owned(),
        symbol: "BTCUSDT".into(),
        side,
        order_type,
        quantity,
        limit_price: None,
        stop_price: None,
        take_profit: None,
        stop_loss: None,
        reference_price: None,
    }
}

/// The adapter as the copier uses it: orders, fills on the stream, retries, cancels, limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bybit_adapter_places_streams_fills_cancels_and_flattens() {
    let fake = SimBybit::start(KEY, CANARY).await;
    fake.set_last_price("BTCUSDT", 90_000.0).await;
    let app = app_with(&fake, Backend::Sqlite).await;
    let credentials = copytrade::brokers::Credentials::from_pairs([
        (
            copytrade::brokers::credentials::Field::ApiKey,
            Some(KEY.to_owned()),
        ),
        (
            copytrade::brokers::credentials::Field::ApiSecret,
            Some(CANARY.to_owned()),
        ),
    ]);
    let bybit = app
        .app
        .state
        .brokers
        .adapter(
            copytrade::brokers::BrokerKind::Bybit,
            copytrade::brokers::BrokerEnvironment::Live,
            "connection",
            &credentials,
        )
        .unwrap();
    let account = bybit.accounts().await.unwrap().remove(0).external_id;
    let instrument = bybit.instrument("btcusdt").await.unwrap();
    assert_eq!((instrument.tick_size, instrument.lot_size), (0.1, 0.001));
    assert!(matches!(
        bybit.instrument("NOPEUSDT").await,
        Err(BrokerError::UnknownSymbol(_))
    ));

    let mut events = bybit.events();
    // Give the stream time to log in and subscribe before the first order.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let placed = bybit
        .place_order(
            &account,
            &order("sig1-f1", Side::Buy, OrderType::Market, 0.002),
        )
        .await
        .unwrap();
    let fill = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Ok(BrokerEvent::Fill(fill)) = events.recv().await {
                return fill;
            }
        }
    })
    .await
    .expect("a fill on the stream");
    assert_eq!(
        (fill.client_order_id.as_str(), fill.quantity, fill.price),
        ("sig1-f1", 0.002, 90_000.0)
    );
    assert_eq!(fill.order_id, placed.order_id);

    // The same client order id again: the existing order, not a second one.
    let again = bybit
        .place_order(
            &account,
            &order("sig1-f1", Side::Buy, OrderType::Market, 0.002),
        )
        .await
        .unwrap();
    assert_eq!(again.order_id, placed.order_id);
    assert_eq!(again.status, OrderStatus::Filled);
    assert_eq!(fake.order_count().await, 1);

    let snapshot = bybit.snapshot(&account).await.unwrap();
    assert_eq!(snapshot.positions[0].quantity, 0.002);

    let mut resting = order("sig2-f1", Side::Buy, OrderType::Limit, 0.001);
    resting.limit_price = Some(80_000.0);
    let working = bybit.place_order(&account, &resting).await.unwrap();
    assert_eq!(bybit.open_orders(&account).await.unwrap().len(), 1);
    let cancelled = bybit
        .cancel_order(&account, &working.order_id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert!(matches!(
        bybit.cancel_order(&account, &working.order_id).await,
        Err(BrokerError::Rejected(_))
    ));

    bybit.flatten(&account, None).await.unwrap();
    assert!(bybit.snapshot(&account).await.unwrap().positions.is_empty());

    assert!(matches!(
        bybit
            .place_order(
                &account,
                &order("has:colon", Side::Buy, OrderType::Market, 0.001)
            )
            .await,
        Err(BrokerError::Rejected(_))
    ));
    fake.set_rate_limited(true).await;
    assert!(matches!(
        bybit.open_orders(&account).await,
        Err(BrokerError::RateLimited { .. })
    ));
    assert_only_allowed_calls(&fake).await;
}
