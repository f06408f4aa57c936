//! Positions in one-way mode: one net position per symbol, how much of it an order can reduce,
//! netting fills into it (average price, realised profit, take-profit and stop-loss), and
//! `/v5/position/list`.

use serde_json::{Value, json};

use super::envelope::{Params, Reply, bad};
use super::instruments::instrument;
use super::now_ms;
use super::numbers::{fmt_num, fmt_opt, fmt_units, units_f64};
use super::state::{Account, Prices, Side};

/// One-way mode: one net position per symbol, positive long, negative short.
#[derive(Default)]
pub(super) struct Position {
    pub(super) size: i64,
    pub(super) avg_price: f64,
    pub(super) realised: f64,
    pub(super) take_profit: Option<f64>,
    pub(super) stop_loss: Option<f64>,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
}

impl Account {
    /// How much of the position an order on `side` can reduce.
    pub(super) fn reducible(&self, symbol: &str, side: Side) -> i64 {
        let size = self.positions.get(symbol).map_or(0, |p| p.size);
        if size.signum() == -side.sign() {
            size.abs()
        } else {
            0
        }
    }

    /// Nets a fill of `signed` units (positive bought) into the one-way position.
    pub(super) fn apply_fill(
        &mut self,
        symbol: &str,
        signed: i64,
        price: f64,
        take_profit: Option<f64>,
        stop_loss: Option<f64>,
    ) {
        let now = now_ms();
        let pos = self.positions.entry(symbol.to_owned()).or_default();
        let old = pos.size;
        let new = old + signed;
        if old == 0 || old.signum() == signed.signum() {
            let total = units_f64(old.abs() + signed.abs());
            pos.avg_price =
                (pos.avg_price * units_f64(old.abs()) + price * units_f64(signed.abs())) / total;
            if old == 0 {
                pos.created_ms = now;
            }
        } else {
            let closing = units_f64(old.abs().min(signed.abs()));
            pos.realised += (price - pos.avg_price) * closing * old.signum() as f64;
            if new == 0 || new.signum() != old.signum() {
                pos.avg_price = if new == 0 { 0.0 } else { price };
                pos.take_profit = None;
                pos.stop_loss = None;
                pos.created_ms = now;
            }
        }
        pos.size = new;
        if new != 0 {
            pos.take_profit = take_profit.or(pos.take_profit);
            pos.stop_loss = stop_loss.or(pos.stop_loss);
        }
        pos.updated_ms = now;
    }

    pub(super) fn position_json(&self, symbol: &str, prices: &Prices) -> Value {
        let empty = Position::default();
        let pos = self.positions.get(symbol).unwrap_or(&empty);
        let last = prices.last(symbol);
        let size = units_f64(pos.size.abs());
        let value = size * pos.avg_price;
        let side = match pos.size.signum() {
            1 => "Buy",
            -1 => "Sell",
            _ => "",
        };
        json!({
            "positionIdx": 0, "riskId": 1, "riskLimitValue": "2000000", "symbol": symbol,
            "side": side, "size": fmt_units(pos.size.abs()), "avgPrice": fmt_num(pos.avg_price),
            "positionValue": fmt_num(value), "tradeMode": 0, "autoAddMargin": 0,
            "positionStatus": "Normal", "leverage": "10", "markPrice": fmt_num(last),
            "liqPrice": "", "bustPrice": "", "positionIM": fmt_num(value / 10.0),
            "positionMM": fmt_num(value * 0.005), "positionBalance": fmt_num(value / 10.0),
            "tpslMode": "Full", "takeProfit": fmt_opt(pos.take_profit, ""),
            "stopLoss": fmt_opt(pos.stop_loss, ""), "trailingStop": "0",
            "unrealisedPnl": fmt_num((last - pos.avg_price) * units_f64(pos.size)),
            "curRealisedPnl": fmt_num(pos.realised), "cumRealisedPnl": fmt_num(pos.realised),
            "adlRankIndicator": if pos.size == 0 { 0 } else { 2 },
            "createdTime": pos.created_ms.to_string(), "updatedTime": pos.updated_ms.to_string(),
            "seq": pos.updated_ms, "isReduceOnly": false, "sessionAvgPrice": "",
        })
    }

    pub(super) fn position_list(&self, params: &Params, prices: &Prices) -> Result<Value, Reply> {
        params.linear()?;
        let list: Vec<Value> = match (params.get("symbol"), params.get("settleCoin")) {
            (Some(symbol), _) => {
                instrument(symbol).ok_or_else(|| bad("params error: symbol invalid"))?;
                // Asked by symbol, Bybit lists the flat position too (size "0", side "").
                vec![self.position_json(symbol, prices)]
            }
            (None, Some("USDT")) => self
                .positions
                .iter()
                .filter(|(_, p)| p.size != 0)
                .map(|(symbol, _)| self.position_json(symbol, prices))
                .collect(),
            (None, Some(_)) => Vec::new(),
            (None, None) => return Err(bad("Symbol or settleCoin is required")),
        };
        Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
    }
}
