//! A secret string (a broker password, API secret or passphrase) that cannot leak by accident:
//! `Debug` and `Display` print a mask, serde cannot serialise it, and the memory is zeroed on
//! drop. Only [`SecretString::expose`] gives the value, where it is sent to the broker.

use zeroize::Zeroizing;

#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The value itself; call only where it is sent to the broker or sealed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// What the API may show: a mask and the last 4 characters, and only those of a value long
    /// enough (12 characters or more) that they give nothing useful away.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() >= 12 {
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("••••{tail}")
        } else {
            "••••".to_owned()
        }
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString(••••)")
    }
}

impl std::fmt::Display for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("••••")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value_and_the_hint_only_the_tail() {
        let secret = SecretString::new("sk-live-CANARY-0123456789-a9f2");
        assert_eq!(format!("{secret}"), "••••");
        assert_eq!(format!("{secret:?}"), "SecretString(••••)");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(SecretString(••••))");
        assert_eq!(secret.hint(), "••••a9f2");
        assert_eq!(SecretString::new("short").hint(), "••••");
    }
}
