//! The three linear perpetuals the simulator lists (BTCUSDT, ETHUSDT, SOLUSDT) with their
//! price and quantity filters and a default last price, and the public
//! `/v5/market/instruments-info` route.

use serde_json::{Value, json};

use super::envelope::{Params, Reply};

pub(super) struct Instrument {
    pub(super) symbol: &'static str,
    pub(super) base_coin: &'static str,
    pub(super) tick_size: &'static str,
    pub(super) qty_step: &'static str,
    pub(super) min_price: &'static str,
    pub(super) max_price: &'static str,
    pub(super) max_order_qty: &'static str,
    pub(super) max_mkt_order_qty: &'static str,
    pub(super) price_scale: &'static str,
    /// The last price until a test sets one (`/_sim/bybit/prices`).
    pub(super) default_price: f64,
}

const INSTRUMENTS: [Instrument; 3] = [
    Instrument {
        symbol: "BTCUSDT",
        base_coin: "BTC",
        tick_size: "0.10",
        qty_step: "0.001",
        min_price: "0.10",
        max_price: "1999999.80",
        max_order_qty: "1190.000",
        max_mkt_order_qty: "119.000",
        price_scale: "2",
        default_price: 90_000.0,
    },
    Instrument {
        symbol: "ETHUSDT",
        base_coin: "ETH",
        tick_size: "0.01",
        qty_step: "0.01",
        min_price: "0.01",
        max_price: "199999.98",
        max_order_qty: "7240.00",
        max_mkt_order_qty: "724.00",
        price_scale: "2",
        default_price: 3_000.0,
    },
    Instrument {
        symbol: "SOLUSDT",
        base_coin: "SOL",
        tick_size: "0.001",
        qty_step: "0.1",
        min_price: "0.010",
        max_price: "19999.980",
        max_order_qty: "79770.0",
        max_mkt_order_qty: "7977.0",
        price_scale: "3",
        default_price: 150.0,
    },
];

pub(super) fn instrument(symbol: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.symbol == symbol)
}

fn instrument_json(i: &Instrument) -> Value {
    json!({
        "symbol": i.symbol, "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": i.base_coin, "quoteCoin": "USDT", "settleCoin": "USDT",
        "launchTime": "1584230400000", "deliveryTime": "0", "deliveryFeeRate": "",
        "priceScale": i.price_scale,
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": i.min_price, "maxPrice": i.max_price, "tickSize": i.tick_size},
        "lotSizeFilter": {
            "maxOrderQty": i.max_order_qty, "minOrderQty": i.qty_step, "qtyStep": i.qty_step,
            "postOnlyMaxOrderQty": i.max_order_qty, "maxMktOrderQty": i.max_mkt_order_qty,
            "minNotionalValue": "5",
        },
        "unifiedMarginTrade": true, "fundingInterval": 480, "copyTrading": "both",
        "upperFundingRate": "0.005", "lowerFundingRate": "-0.005", "isPreListing": false,
    })
}

pub(super) fn instruments_info(params: &Params) -> Result<Value, Reply> {
    params.linear()?;
    let list: Vec<Value> = INSTRUMENTS
        .iter()
        .filter(|i| params.get("symbol").is_none_or(|s| s == i.symbol))
        .filter(|i| params.get("baseCoin").is_none_or(|c| c == i.base_coin))
        .map(instrument_json)
        .collect();
    Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
}
