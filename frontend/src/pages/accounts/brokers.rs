//! The brokers as the app shows them (name, mark, kind of venue, advice for a safe key) and
//! their credential fields as inputs.
//!
//! Rules: which fields a broker needs is the server's word (`brokerCredentialFields`); this
//! file only says how each field reads and whether it is a secret. Names come from the server
//! too, with a fallback here for the moments before its answer arrives.

use std::rc::Rc;

use crate::api::operations::BrokerKind;
use crate::api::operations::broker_credential_fields::BrokerCredentialFieldsBrokerCredentialFields as ServerFields;
use crate::format::sentence;

/// One credential field of `BrokerCredentialsInput`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialField {
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

impl CredentialField {
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

    /// The field's name in the API (`apiKey`).
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

    /// Its place in [`Self::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Username => "Username",
            Self::Password => "Password",
            Self::ApiKey => "API key",
            Self::ApiSecret => "API secret",
            Self::Passphrase => "Passphrase",
            Self::AppId => "App ID",
            Self::AppVersion => "App version",
            Self::Cid => "Client ID (cid)",
            Self::Sec => "Client secret (sec)",
            Self::DeviceId => "Device ID",
        }
    }

    /// Typed into a password input: never shown on screen, cleared after each submission.
    pub fn secret(self) -> bool {
        matches!(
            self,
            Self::Password | Self::ApiSecret | Self::Passphrase | Self::Sec
        )
    }

    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::Password => Some("Your password at the broker, not your CopyTrade one."),
            Self::Passphrase => Some("The passphrase you chose when you created the key."),
            Self::AppId => Some("The name of the API app you created for CopyTrade."),
            Self::AppVersion => Some("The version you gave the API app, if you gave one."),
            Self::Cid => Some("The numeric id the broker gave your API app."),
            Self::Sec => Some("The secret the broker gave your API app."),
            Self::DeviceId => Some(
                "Leave it empty: CopyTrade makes one for this login and keeps it, as Tradovate wants.",
            ),
            Self::Username | Self::ApiKey | Self::ApiSecret => None,
        }
    }
}

/// What linking one broker takes, from `brokerCredentialFields`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerSpec {
    pub kind: BrokerKind,
    pub name: String,
    pub required: Vec<CredentialField>,
    pub optional: Vec<CredentialField>,
    /// The server's advice for a key CopyTrade accepts, as a sentence.
    pub guidance: String,
}

impl BrokerSpec {
    /// `None` for a broker this build does not know: it could not send that broker's request.
    /// A field name it does not know is left out the same way (the server then names it).
    fn from_server(fields: &ServerFields) -> Option<Self> {
        if fields.broker == BrokerKind::Unknown {
            return None;
        }
        let parse = |names: &[String]| -> Vec<CredentialField> {
            names
                .iter()
                .filter_map(|name| CredentialField::parse(name))
                .collect()
        };
        Some(Self {
            kind: fields.broker,
            name: fields.name.clone(),
            required: parse(&fields.required),
            optional: parse(&fields.optional),
            guidance: sentence(&fields.guidance),
        })
    }

    /// Whether the link form sends this field for the broker.
    pub fn takes(&self, field: CredentialField) -> bool {
        self.required.contains(&field) || self.optional.contains(&field)
    }

    /// Paper trading needs no credentials at all.
    pub fn has_credentials(&self) -> bool {
        !self.required.is_empty() || !self.optional.is_empty()
    }
}

/// The brokers the server offers, in its order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue(Rc<Vec<BrokerSpec>>);

impl Catalogue {
    pub fn from_server(fields: &[ServerFields]) -> Self {
        Self(Rc::new(
            fields.iter().filter_map(BrokerSpec::from_server).collect(),
        ))
    }

    pub fn iter(&self) -> impl Iterator<Item = &BrokerSpec> {
        self.0.iter()
    }

    pub fn get(&self, kind: BrokerKind) -> Option<&BrokerSpec> {
        self.0.iter().find(|spec| spec.kind == kind)
    }

    pub fn first(&self) -> Option<BrokerKind> {
        self.0.first().map(|spec| spec.kind)
    }

    /// The broker's name as the server gives it, or this app's until it has.
    pub fn name(&self, kind: BrokerKind) -> String {
        self.get(kind)
            .map_or_else(|| fallback_name(kind).to_owned(), |spec| spec.name.clone())
    }
}

fn fallback_name(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Paper => "Paper trading",
        BrokerKind::Tradovate => "Tradovate",
        BrokerKind::Apex => "Apex Trader Funding",
        BrokerKind::Topstepx => "TopstepX",
        BrokerKind::BinanceUsdm => "Binance USDⓈ-M Futures",
        BrokerKind::Bybit => "Bybit",
        BrokerKind::Okx => "OKX",
        BrokerKind::Unknown => "Another broker",
    }
}

/// The CSS modifier of the broker's mark (`broker__mark--okx`).
pub fn mark_class(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Paper => "broker__mark--paper",
        BrokerKind::Tradovate => "broker__mark--tradovate",
        BrokerKind::Apex => "broker__mark--apex",
        BrokerKind::Topstepx => "broker__mark--topstepx",
        BrokerKind::BinanceUsdm => "broker__mark--binance",
        BrokerKind::Bybit => "broker__mark--bybit",
        BrokerKind::Okx => "broker__mark--okx",
        BrokerKind::Unknown => "broker__mark--other",
    }
}

/// The letter in the broker's mark.
pub fn mark_letter(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

/// What kind of venue it is.
pub fn venue(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Paper => "Simulated money, for practice",
        BrokerKind::Tradovate => "Futures broker",
        BrokerKind::Apex | BrokerKind::Topstepx => "Futures prop firm",
        BrokerKind::BinanceUsdm | BrokerKind::Bybit | BrokerKind::Okx => "Crypto exchange",
        BrokerKind::Unknown => "Not supported by this version of the app",
    }
}

/// This app's own advice, shown under the server's.
pub fn advice(kind: BrokerKind) -> Option<&'static str> {
    match kind {
        BrokerKind::Paper => Some(
            "Simulated orders and fills inside CopyTrade: no broker and no credentials, so you can try copying safely.",
        ),
        BrokerKind::Tradovate => Some(
            "Create a dedicated API app with trade-only rights; CopyTrade needs your username and password too, stored encrypted. One login links all its accounts.",
        ),
        BrokerKind::Apex => Some(
            "Apex accounts trade through their Tradovate login: link that login with a dedicated, trade-only Tradovate API app. Only the login's Apex accounts are copied.",
        ),
        BrokerKind::Topstepx => Some(
            "API access is a paid TopstepX add-on. Create an API key for CopyTrade alone in TopstepX's settings and link it with your TopstepX username; every account of that login can be copied.",
        ),
        BrokerKind::BinanceUsdm | BrokerKind::Bybit | BrokerKind::Okx => {
            Some("Trade-only key, withdrawals off, IP whitelist if offered.")
        }
        BrokerKind::Unknown => None,
    }
}

/// Where a prop firm publishes its rules on automated and copied trading: the firm's name and
/// its help centre. Firms change these rules, so the link form sends users there.
pub fn prop_firm_rules(kind: BrokerKind) -> Option<(&'static str, &'static str)> {
    match kind {
        BrokerKind::Apex => Some((
            "Apex Trader Funding",
            "https://support.apextraderfunding.com",
        )),
        BrokerKind::Topstepx => Some(("Topstep", "https://help.topstep.com")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(broker: BrokerKind, required: &[&str], optional: &[&str]) -> ServerFields {
        ServerFields {
            broker,
            name: "Name".to_owned(),
            required: required.iter().map(|name| (*name).to_owned()).collect(),
            optional: optional.iter().map(|name| (*name).to_owned()).collect(),
            guidance: "create a key".to_owned(),
        }
    }

    #[test]
    fn every_field_round_trips_by_its_api_name_and_index() {
        for (index, field) in CredentialField::ALL.into_iter().enumerate() {
            assert_eq!(CredentialField::parse(field.name()), Some(field));
            assert_eq!(field.index(), index);
        }
        assert_eq!(CredentialField::parse("pin"), None);
    }

    #[test]
    fn exactly_the_secret_fields_are_hidden() {
        let secret: Vec<&str> = CredentialField::ALL
            .into_iter()
            .filter(|field| field.secret())
            .map(CredentialField::name)
            .collect();
        assert_eq!(secret, ["password", "apiSecret", "passphrase", "sec"]);
    }

    #[test]
    fn specs_keep_the_servers_fields_and_skip_what_this_build_cannot_send() {
        let catalogue = Catalogue::from_server(&[
            server(
                BrokerKind::Okx,
                &["apiKey", "apiSecret", "passphrase"],
                &["subaccount"],
            ),
            server(BrokerKind::Unknown, &["apiKey"], &[]),
            server(BrokerKind::Paper, &[], &[]),
        ]);
        assert_eq!(catalogue.iter().count(), 2);
        let okx = catalogue.get(BrokerKind::Okx).expect("listed");
        assert_eq!(
            okx.required,
            [
                CredentialField::ApiKey,
                CredentialField::ApiSecret,
                CredentialField::Passphrase
            ]
        );
        assert!(okx.optional.is_empty());
        assert!(okx.takes(CredentialField::Passphrase));
        assert!(!okx.takes(CredentialField::Username));
        assert_eq!(okx.guidance, "Create a key.");
        assert!(
            !catalogue
                .get(BrokerKind::Paper)
                .expect("listed")
                .has_credentials()
        );
        assert_eq!(catalogue.first(), Some(BrokerKind::Okx));
    }

    #[test]
    fn names_fall_back_to_the_apps_own_until_the_server_answers() {
        let empty = Catalogue::default();
        assert_eq!(empty.name(BrokerKind::Paper), "Paper trading");
        let listed = Catalogue::from_server(&[server(BrokerKind::Paper, &[], &[])]);
        assert_eq!(listed.name(BrokerKind::Paper), "Name");
        assert_eq!(mark_letter("OKX"), "O");
        assert_eq!(mark_letter(""), "");
    }
}
