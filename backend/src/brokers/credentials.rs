//! The credential fields each venue needs, checked before anything is sent or stored.
//!
//! Every field is sealed by the vault, one row per field, even a username: a credential set is
//! worth protecting as a whole. Only a masked hint is ever shown.

use super::BrokerKind;
use crate::vault::SecretString;

/// One credential field: its API name (as in `BrokerCredentialsInput`) and what users call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    Password,
    ApiKey,
    ApiSecret,
    Passphrase,
    AppId,
    AppVersion,
    Cid,
    Sec,
    DeviceId,
}

impl Field {
    pub const ALL: [Self; 10] = [
        Self::Username,
        Self::Password,
        Self::ApiKey,
        Self::ApiSecret,
        Self::Passphrase,
        Self::AppId,
        Self::AppVersion,
        Self::Cid,
        Self::Sec,
        Self::DeviceId,
    ];

    /// The name in the API and in the vault's associated data.
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Password => "password",
            Self::ApiKey => "apiKey",
            Self::ApiSecret => "apiSecret",
            Self::Passphrase => "passphrase",
            Self::AppId => "appId",
            Self::AppVersion => "appVersion",
            Self::Cid => "cid",
            Self::Sec => "sec",
            Self::DeviceId => "deviceId",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.name() == name)
    }
}

/// Which fields a venue needs, and which it takes if given.
pub struct FieldSpec {
    pub required: &'static [Field],
    pub optional: &'static [Field],
}

pub fn spec(kind: BrokerKind) -> FieldSpec {
    use Field::*;
    match kind {
        BrokerKind::Paper => FieldSpec {
            required: &[],
            optional: &[],
        },
        // Apex is reached through a Tradovate login.
        BrokerKind::Tradovate | BrokerKind::Apex => FieldSpec {
            required: &[Username, Password, AppId, Cid, Sec],
            optional: &[AppVersion, DeviceId],
        },
        BrokerKind::TopstepX => FieldSpec {
            required: &[Username, ApiKey],
            optional: &[],
        },
        BrokerKind::BinanceUsdm | BrokerKind::Bybit => FieldSpec {
            required: &[ApiKey, ApiSecret],
            optional: &[],
        },
        BrokerKind::Okx => FieldSpec {
            required: &[ApiKey, ApiSecret, Passphrase],
            optional: &[],
        },
    }
}

/// The longest value accepted in any field; real keys and passwords are far shorter.
const MAX_FIELD_CHARS: usize = 512;

/// A credential set: the given fields only, each a [`SecretString`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    fields: Vec<(Field, SecretString)>,
}

/// What is wrong with a credential set, said so that the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("{broker} needs {}", list(.missing))]
    Missing {
        broker: &'static str,
        missing: Vec<&'static str>,
    },
    #[error("{broker} does not take {}; leave {} empty", list(.unexpected), if .unexpected.len() == 1 { "it" } else { "them" })]
    Unexpected {
        broker: &'static str,
        unexpected: Vec<&'static str>,
    },
    #[error("{field} is longer than {MAX_FIELD_CHARS} characters")]
    TooLong { field: &'static str },
}

fn list(names: &[&'static str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Credentials {
    /// Builds a set from `(field, value)` pairs; blank values count as not given.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Field, Option<String>)>) -> Self {
        let fields = pairs
            .into_iter()
            .filter_map(|(field, value)| {
                let value = SecretString::new(value?);
                (!value.is_blank()).then_some((field, value))
            })
            .collect();
        Self { fields }
    }

    pub fn get(&self, field: Field) -> Option<&SecretString> {
        self.fields
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, value)| value)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Field, SecretString)> {
        self.fields.iter()
    }

    /// Checks the set against what `kind` needs: every required field present, none it does
    /// not take, none absurdly long.
    pub fn check(&self, kind: BrokerKind) -> Result<(), CredentialsError> {
        let spec = spec(kind);
        let broker = kind.display_name();
        let missing: Vec<_> = spec
            .required
            .iter()
            .filter(|field| self.get(**field).is_none())
            .map(|field| field.name())
            .collect();
        if !missing.is_empty() {
            return Err(CredentialsError::Missing { broker, missing });
        }
        let unexpected: Vec<_> = self
            .fields
            .iter()
            .map(|(field, _)| *field)
            .filter(|field| !spec.required.contains(field) && !spec.optional.contains(field))
            .map(Field::name)
            .collect();
        if !unexpected.is_empty() {
            return Err(CredentialsError::Unexpected { broker, unexpected });
        }
        if let Some((field, _)) = self
            .fields
            .iter()
            .find(|(_, value)| value.expose().chars().count() > MAX_FIELD_CHARS)
        {
            return Err(CredentialsError::TooLong {
                field: field.name(),
            });
        }
        Ok(())
    }

    /// Tradovate wants a stable device id per login (a rotating one can get orders refused):
    /// when the user gives none, the one stored before is kept, else one is made once here and
    /// stored with the connection.
    pub fn with_device_id(mut self, kind: BrokerKind, stored: Option<&SecretString>) -> Self {
        let needs = matches!(kind, BrokerKind::Tradovate | BrokerKind::Apex);
        if needs && self.get(Field::DeviceId).is_none() {
            let id = stored.cloned().unwrap_or_else(|| {
                SecretString::new(format!("copytrade-{}", uuid::Uuid::new_v4()))
            });
            self.fields.push((Field::DeviceId, id));
        }
        self
    }

    /// The masked hint shown in the API: the tail of the API key, else of the username.
    pub fn hint(&self, kind: BrokerKind) -> String {
        if kind == BrokerKind::Paper {
            return "no credentials needed".to_owned();
        }
        [Field::ApiKey, Field::Username]
            .into_iter()
            .find_map(|field| self.get(field))
            .map(SecretString::hint)
            .unwrap_or_else(|| "••••".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(pairs: &[(Field, &str)]) -> Credentials {
        Credentials::from_pairs(pairs.iter().map(|(f, v)| (*f, Some(v.to_string()))))
    }

    #[test]
    fn each_venue_says_exactly_which_fields_are_missing() {
        let err = creds(&[(Field::ApiKey, "k")])
            .check(BrokerKind::Okx)
            .unwrap_err();
        assert_eq!(err.to_string(), "OKX needs apiSecret and passphrase");
        let err = creds(&[(Field::Username, "me")])
            .check(BrokerKind::Tradovate)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Tradovate needs password, appId, cid and sec"
        );
        assert!(Credentials::default().check(BrokerKind::Paper).is_ok());
    }

    #[test]
    fn fields_a_venue_does_not_take_are_refused_and_blank_ones_ignored() {
        let err = creds(&[
            (Field::ApiKey, "k"),
            (Field::ApiSecret, "s"),
            (Field::Username, "u"),
        ])
        .check(BrokerKind::BinanceUsdm)
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Binance USDⓈ-M Futures does not take username; leave it empty"
        );
        let blank = creds(&[
            (Field::ApiKey, "k"),
            (Field::ApiSecret, "s"),
            (Field::Username, "  "),
        ]);
        assert!(blank.check(BrokerKind::BinanceUsdm).is_ok());
    }

    #[test]
    fn tradovate_logins_keep_one_device_id() {
        let given = creds(&[(Field::Username, "me")]);
        let made = given.clone().with_device_id(BrokerKind::Tradovate, None);
        let id = made.get(Field::DeviceId).unwrap().expose().to_owned();
        assert!(id.starts_with("copytrade-"), "{id}");
        // Re-keyed without one: the stored id stays.
        let kept = given
            .clone()
            .with_device_id(BrokerKind::Apex, made.get(Field::DeviceId));
        assert_eq!(kept.get(Field::DeviceId).unwrap().expose(), id);
        // Other venues get none.
        assert!(
            given
                .with_device_id(BrokerKind::Bybit, None)
                .get(Field::DeviceId)
                .is_none()
        );
    }

    #[test]
    fn the_hint_is_the_tail_of_the_api_key() {
        let set = creds(&[
            (Field::ApiKey, "AKIA-0000-1111-a9f2"),
            (Field::ApiSecret, "s"),
        ]);
        assert_eq!(set.hint(BrokerKind::Bybit), "••••a9f2");
        assert_eq!(format!("{set:?}").matches("a9f2").count(), 0);
    }
}
