//! The credential inputs of the link and rotate forms: exactly the fields the broker takes,
//! required ones first and marked, optional ones under them, secrets in password inputs.
//!
//! Rules: what was typed lives only in this component's state, is sent only for fields the
//! chosen broker takes (blank ones as absent), and secrets are cleared as soon as a request
//! leaves, whatever its outcome: a secret never sits in the page longer than it must.

use std::rc::Rc;

use yew::prelude::*;

use super::brokers::{BrokerSpec, CredentialField};
use crate::components::TextField;

/// What is typed in each credential input, by [`CredentialField::index`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialValues([String; CredentialField::ALL.len()]);

pub enum CredentialChange {
    Set(CredentialField, String),
    /// After a request leaves: the secrets go, the rest stays for another try.
    ClearSecrets,
    ClearAll,
}

impl Reducible for CredentialValues {
    type Action = CredentialChange;

    fn reduce(self: Rc<Self>, change: CredentialChange) -> Rc<Self> {
        let mut values = (*self).clone();
        match change {
            CredentialChange::Set(field, text) => values.0[field.index()] = text,
            CredentialChange::ClearSecrets => {
                for field in CredentialField::ALL.into_iter().filter(|f| f.secret()) {
                    values.0[field.index()].clear();
                }
            }
            CredentialChange::ClearAll => values = Self::default(),
        }
        Rc::new(values)
    }
}

impl CredentialValues {
    pub fn get(&self, field: CredentialField) -> &str {
        &self.0[field.index()]
    }

    /// What to send for `spec`'s broker: the fields it takes that are filled in. Values are
    /// sent as typed (a secret may end in a space); a blank one counts as not given.
    pub fn for_broker(&self, spec: &BrokerSpec) -> Filled {
        Filled(CredentialField::ALL.map(|field| {
            let value = self.get(field);
            (spec.takes(field) && !value.trim().is_empty()).then(|| value.to_owned())
        }))
    }
}

/// The values to send, taken once each into the request's `BrokerCredentialsInput`.
#[derive(Debug, PartialEq, Eq)]
pub struct Filled([Option<String>; CredentialField::ALL.len()]);

impl Filled {
    pub fn take(&mut self, field: CredentialField) -> Option<String> {
        self.0[field.index()].take()
    }
}

/// Builds a `BrokerCredentialsInput` from [`Filled`] values. Each operation's module has its
/// own generated copy of that input type; this is the one place that lists its fields.
macro_rules! credentials_input {
    ($input:path, $filled:expr) => {{
        use $crate::pages::accounts::brokers::CredentialField as Field;
        let mut filled = $filled;
        $input {
            username: filled.take(Field::Username),
            password: filled.take(Field::Password),
            api_key: filled.take(Field::ApiKey),
            api_secret: filled.take(Field::ApiSecret),
            passphrase: filled.take(Field::Passphrase),
            app_id: filled.take(Field::AppId),
            app_version: filled.take(Field::AppVersion),
            cid: filled.take(Field::Cid),
            sec: filled.take(Field::Sec),
            device_id: filled.take(Field::DeviceId),
        }
    }};
}
pub(super) use credentials_input;

#[derive(Properties, PartialEq)]
pub struct CredentialFieldsProps {
    pub spec: BrokerSpec,
    pub values: UseReducerHandle<CredentialValues>,
    /// Makes the input ids unique on the page (`link`, `rotate-<connection id>`).
    pub id_prefix: AttrValue,
    /// The server's error about the credentials as a whole (`INVALID_INPUT` on `credentials`).
    #[prop_or_default]
    pub error: Option<String>,
}

/// The broker's credential inputs in a group of their own; nothing for a broker without any.
#[component]
pub fn CredentialFields(props: &CredentialFieldsProps) -> Html {
    if !props.spec.has_credentials() {
        return Html::default();
    }
    let input = |field: CredentialField, required: bool| {
        let values = props.values.clone();
        let on_input =
            Callback::from(move |text: String| values.dispatch(CredentialChange::Set(field, text)));
        let (kind, autocomplete) = if field.secret() {
            // `new-password`: browsers must not fill in the user's CopyTrade password here.
            ("password", "new-password")
        } else {
            ("text", "off")
        };
        html! {
            <TextField
                id={format!("{}-{}", props.id_prefix, field.name())}
                label={field.label()}
                {kind}
                value={AttrValue::from(props.values.get(field).to_owned())}
                {on_input}
                {autocomplete}
                hint={field.hint().map(AttrValue::Static)}
                {required}
                testid={format!("credential-{}", field.name())}
            />
        }
    };
    let error_id = format!("{}-credentials-error", props.id_prefix);
    html! {
        <fieldset
            class={classes!("fieldset", props.error.is_some().then_some("fieldset--invalid"))}
            aria-describedby={props.error.is_some().then(|| error_id.clone())}
            data-testid="credential-fields"
        >
            <legend class="fieldset__legend">{ format!("{} credentials", props.spec.name) }</legend>
            if let Some(error) = &props.error {
                <p class="field__error" id={error_id}>{ error.clone() }</p>
            }
            { for props.spec.required.iter().map(|&field| input(field, true)) }
            if !props.spec.optional.is_empty() {
                <p class="fieldset__subhead">{ "Optional" }</p>
                { for props.spec.optional.iter().map(|&field| input(field, false)) }
            }
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::operations::BrokerKind;

    fn okx() -> BrokerSpec {
        BrokerSpec {
            kind: BrokerKind::Okx,
            name: "OKX".to_owned(),
            required: vec![
                CredentialField::ApiKey,
                CredentialField::ApiSecret,
                CredentialField::Passphrase,
            ],
            optional: vec![],
            guidance: String::new(),
        }
    }

    fn typed(pairs: &[(CredentialField, &str)]) -> Rc<CredentialValues> {
        pairs.iter().fold(
            Rc::new(CredentialValues::default()),
            |values, (field, text)| {
                values.reduce(CredentialChange::Set(*field, (*text).to_owned()))
            },
        )
    }

    #[test]
    fn only_the_brokers_filled_fields_are_sent() {
        let values = typed(&[
            (CredentialField::ApiKey, "key"),
            (CredentialField::ApiSecret, "  "),
            (CredentialField::Passphrase, "pass phrase "),
            // Typed for another broker before switching: not OKX's.
            (CredentialField::Username, "trader"),
        ]);
        let mut filled = values.for_broker(&okx());
        assert_eq!(filled.take(CredentialField::ApiKey).as_deref(), Some("key"));
        assert_eq!(filled.take(CredentialField::ApiKey), None, "taken once");
        assert_eq!(filled.take(CredentialField::ApiSecret), None, "blank");
        assert_eq!(
            filled.take(CredentialField::Passphrase).as_deref(),
            Some("pass phrase ")
        );
        assert_eq!(filled.take(CredentialField::Username), None);
    }

    #[test]
    fn clearing_secrets_keeps_the_rest() {
        let values = typed(&[
            (CredentialField::Username, "trader"),
            (CredentialField::Password, "hunter22"),
            (CredentialField::AppId, "CopyTrade"),
            (CredentialField::Sec, "s3cr3t"),
        ])
        .reduce(CredentialChange::ClearSecrets);
        assert_eq!(values.get(CredentialField::Username), "trader");
        assert_eq!(values.get(CredentialField::AppId), "CopyTrade");
        assert_eq!(values.get(CredentialField::Password), "");
        assert_eq!(values.get(CredentialField::Sec), "");
        let cleared = values.reduce(CredentialChange::ClearAll);
        assert_eq!(*cleared, CredentialValues::default());
    }
}
