//! The GraphQL schema is a contract: `schema.graphql` at the top of the repository is what the
//! web app compiles against and integrators read. Any change to the server's schema must be
//! made to that file too, on purpose.
//!
//! To accept a change: `cargo run -p copytrade-backend -- print-schema > schema.graphql`
//! (or run this test with `UPDATE_SCHEMA=1`).

use std::path::Path;

#[test]
fn the_checked_in_schema_matches_the_server() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let served = copytrade::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    if checked_in != served {
        panic!(
            "schema.graphql differs from the server's schema (- checked in, + server):\n{}\n\
             If the change is intended: cargo run -p copytrade-backend -- print-schema > schema.graphql",
            line_diff(&checked_in, &served)
        );
    }
}

/// A minimal line diff (longest common subsequence), enough to show what drifted.
fn line_diff(old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            i += 1;
            j += 1;
        } else if j < new.len() && (i == old.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push_str(&format!("{:>4} + {}\n", j + 1, new[j]));
            j += 1;
        } else {
            out.push_str(&format!("{:>4} - {}\n", i + 1, old[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn the_diff_shows_added_and_removed_lines() {
    let diff = line_diff("type A {\n\tx: Int\n}\n", "type A {\n\ty: Int\n}\n");
    assert_eq!(diff, "   2 - \tx: Int\n   2 + \ty: Int\n");
}
