//! Passwords (SEC-4): argon2id v19 with a fresh 16-byte salt per hash, stored as a PHC string,
//! computed on a blocking thread so a login never stalls the async runtime.
//!
//! Each hash holds 19 MiB and a core for tens of milliseconds, so at most [`MAX_CONCURRENT`]
//! run at once; the rest wait their turn. A burst of sign-ups or logins then queues instead of
//! exhausting memory or starving the copier of CPU (docs/security.md, "Guessing and flooding").

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use super::AuthError;

pub const MIN_LEN: usize = 10;
/// Longer input is refused rather than hashed: it only costs the server.
pub const MAX_BYTES: usize = 1024;

/// Passwords that meet the length rule but are among the first an attacker tries.
const COMMON: &[&str] = &[
    "0123456789",
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "abcdefghij",
    "abcd123456",
    "administrator",
    "baseball123",
    "football123",
    "iloveyou12",
    "letmein123",
    "monkey1234",
    "password01",
    "password12",
    "password123",
    "password1234",
    "password!1",
    "passw0rd123",
    "qwerty1234",
    "qwerty12345",
    "qwertyuiop",
    "qwertyuiop1",
    "q1w2e3r4t5",
    "sunshine12",
    "superman123",
    "trustno1234",
    "welcome123",
    "zaq12wsxcde",
    "1111111111",
    "0000000000",
    "9876543210",
    "asdfghjkl1",
    "asdfghjkl;",
    "changeme123",
    "dragon1234",
    "master1234",
    "michael123",
    "princess12",
    "shadow1234",
    "starwars12",
    "tradingview",
    "copytrade123",
    "trading123",
    "bitcoin123",
    "ethereum123",
    "qwerty123456",
];

/// Checks the password rules; the error names the field and what is wrong.
pub fn check_policy(field: &'static str, password: &str) -> Result<(), AuthError> {
    let invalid = |message: &str| AuthError::InvalidInput {
        field,
        message: message.to_owned(),
    };
    if password.len() > MAX_BYTES {
        return Err(invalid("must be at most 1024 bytes"));
    }
    if password.chars().count() < MIN_LEN {
        return Err(invalid("must be at least 10 characters"));
    }
    let lowered = password.to_lowercase();
    // One character repeated ("aaaaaaaaaa") is as weak as any listed password.
    let first = lowered.chars().next();
    if COMMON.contains(&lowered.as_str()) || lowered.chars().all(|c| Some(c) == first) {
        return Err(invalid(
            "is too common: choose one that is not on lists of popular passwords",
        ));
    }
    Ok(())
}

fn hasher() -> Argon2<'static> {
    // argon2 0.6's defaults: m = 19456 KiB, t = 2, p = 1 (OWASP's minimum for argon2id).
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes computed at once, at most: one per core, and at least two.
static MAX_CONCURRENT: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(2)
        .max(2)
});

static HASH_PERMITS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(*MAX_CONCURRENT));

/// Runs one argon2 computation on a blocking thread once a permit is free.
async fn bounded<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    let _permit = HASH_PERMITS
        .acquire()
        .await
        .map_err(|err| AuthError::Internal(err.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| AuthError::Internal(err.to_string()))
}

/// Hashes a password (blocking work, moved off the async threads).
pub async fn hash(password: String) -> Result<String, AuthError> {
    bounded(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|err| AuthError::Internal(err.to_string()))?;
        hasher()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| AuthError::Internal(format!("argon2: {err}")))
    })
    .await?
}

/// Whether `password` matches the stored PHC string. A malformed hash counts as no match.
pub async fn verify(password: String, stored: String) -> Result<bool, AuthError> {
    bounded(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
    .await
}

/// Whether a stored hash was made with weaker settings (or another algorithm) than today's, so
/// that it should be replaced at the next successful login.
pub fn needs_rehash(stored: &str) -> bool {
    let current = Params::default();
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
    parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(0x13)
        || param("m") < current.m_cost()
        || param("t") < current.t_cost()
}

/// A valid hash of a random password: unknown emails are checked against it, so that the answer
/// takes as long as for a real account with a wrong password.
pub static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut salt = [7u8; 16];
    let _ = getrandom::fill(&mut salt);
    hasher()
        .hash_password_with_salt(b"no account has this password", &salt)
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_v19_with_the_default_cost_and_a_fresh_salt() {
        let first = hash("correct horse battery".into()).await.unwrap();
        let second = hash("correct horse battery".into()).await.unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert_ne!(first, second);
        assert!(
            verify("correct horse battery".into(), first.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify("correct horse battery!".into(), first)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn weaker_hashes_are_marked_for_rehashing() {
        let today = hash("correct horse battery".into()).await.unwrap();
        assert!(!needs_rehash(&today));
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"correct horse battery", &[1u8; 16])
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        assert!(verify("correct horse battery".into(), weak).await.unwrap());
    }

    #[test]
    fn short_common_and_huge_passwords_are_refused() {
        assert!(check_policy("password", "short").is_err());
        assert!(check_policy("password", "Password123").is_err());
        assert!(check_policy("password", "aaaaaaaaaaaa").is_err());
        assert!(check_policy("password", &"x".repeat(1025)).is_err());
        assert!(check_policy("password", "a long passphrase of mine").is_ok());
    }
}
