//! Request authentication: the HMAC-SHA256 signature (lowercase hex, compared in constant
//! time) shared with the private stream's `auth`, and the REST `X-BAPI-*` checks in the venue's
//! order: unknown key 10003, timestamp outside `now - recvWindow <= ts < now + 1000` 10002,
//! bad signature 10004.

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::envelope::{Reply, bad};
use super::now_ms;
use super::state::{Key, State};

const DEFAULT_RECV_WINDOW: i64 = 5000;

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `signature` (hex) is the HMAC of `parts` under `secret`, compared in constant time.
pub(super) fn signature_matches(secret: &str, parts: &[&[u8]], signature: &str) -> bool {
    // HMAC takes keys of any length, so this only fails on a broken library.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    unhex(signature).is_some_and(|tag| mac.verify_slice(&tag).is_ok())
}

impl State {
    /// The key a signed REST request was made with, once its timestamp and signature pass.
    pub(super) fn authenticate(&self, headers: &HeaderMap, payload: &[u8]) -> Result<Key, Reply> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let key_text = header("x-bapi-api-key").unwrap_or_default();
        let Some(key) = self.keys.get(key_text) else {
            return Err(Reply::err(10003, "API key is invalid."));
        };
        let window_text = header("x-bapi-recv-window");
        let recv_window = match window_text {
            None => DEFAULT_RECV_WINDOW,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| bad("params error: recv_window invalid"))?,
        };
        let timestamp_text = header("x-bapi-timestamp").unwrap_or_default();
        let now = now_ms();
        let timestamp = timestamp_text.parse::<i64>().ok();
        if !timestamp.is_some_and(|ts| now - recv_window <= ts && ts < now + 1000) {
            return Err(Reply::err(
                10002,
                format!(
                    "invalid request, please check your server timestamp or recv_window param. \
                     req_timestamp[{timestamp_text}],server_timestamp[{now}],recv_window[{recv_window}]"
                ),
            ));
        }
        let signature = header("x-bapi-sign").unwrap_or_default();
        // The window goes into the string to sign as sent. Without the header the docs only
        // say the window defaults to 5000, so a signature over "5000" or over nothing passes.
        let windows: Vec<String> = match window_text {
            Some(text) => vec![text.to_owned()],
            None => vec![DEFAULT_RECV_WINDOW.to_string(), String::new()],
        };
        let signed_ok = windows.iter().any(|window| {
            let prefix = format!("{timestamp_text}{key_text}{window}");
            signature_matches(&key.api_secret, &[prefix.as_bytes(), payload], signature)
        });
        if !signed_ok {
            // Like Bybit, echo what should have been signed (never the secret).
            let origin = format!(
                "{timestamp_text}{key_text}{}{}",
                windows[0],
                String::from_utf8_lossy(payload)
            );
            return Err(Reply::err(
                10004,
                format!("error sign! origin_string[{origin}]"),
            ));
        }
        Ok(key.clone())
    }
}
