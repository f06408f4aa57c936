//! SEC-13, no custody: no broker adapter calls a withdrawal, transfer or wallet endpoint.
//! Adapters build their request paths from string literals in `backend/src/brokers/`, so a
//! literal naming such an endpoint is the one way to add one: this test reads them all.

use std::path::Path;

/// Path fragments of the venues' money-moving endpoints (Binance `/sapi/v1/capital/withdraw`,
/// `/sapi/v1/asset/transfer`, `/fapi/v1/...transfer`; Bybit `/v5/asset/withdraw/create`,
/// `/v5/asset/transfer/...`; OKX `/api/v5/asset/withdrawal`, `/api/v5/asset/transfer`;
/// Tradovate cash-balance changes).
const FORBIDDEN: [&str; 8] = [
    "/withdraw",
    "withdrawal",
    "/transfer",
    "universal-transfer",
    "/capital/",
    "/asset/",
    "cashbalance/",
    "/wallet/",
];

fn literals(source: &str) -> Vec<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_ascii_lowercase)
        .collect()
}

fn visit(dir: &Path, found: &mut Vec<String>) -> usize {
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files += visit(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files += 1;
            let source = std::fs::read_to_string(&path).unwrap();
            for literal in literals(&source) {
                if literal.starts_with('/') && FORBIDDEN.iter().any(|bad| literal.contains(bad)) {
                    found.push(format!("{}: \"{literal}\"", path.display()));
                }
            }
        }
    }
    files
}

#[test]
fn no_adapter_names_a_withdrawal_or_transfer_endpoint() {
    let brokers = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/brokers");
    let mut found = Vec::new();
    let files = visit(&brokers, &mut found);
    assert!(
        files >= 5,
        "read only {files} files under {}",
        brokers.display()
    );
    assert!(
        found.is_empty(),
        "money-moving endpoints in adapters: {found:#?}"
    );
    // The check itself recognises one.
    let sample = literals(r#"let p = "/v5/asset/withdraw/create";"#);
    assert_eq!(sample, ["/v5/asset/withdraw/create"]);
    assert!(FORBIDDEN.iter().any(|bad| sample[0].contains(bad)));
}
