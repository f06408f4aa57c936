//! The endpoints the adapter calls, and what their `errorCode`s mean. A code means something
//! different on each endpoint (3 is bad credentials on `loginKey` but insufficient funds on
//! `Order/place`), so a failure is always mapped by (endpoint, code), never by the code alone.
//! An unknown code is never guessed at: on a read it is unreadable, and on an order call the
//! outcome is unknown (the order may exist).

use crate::brokers::BrokerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    LoginKey,
    Validate,
    AccountSearch,
    ContractSearch,
    ContractById,
    OrderPlace,
    OrderCancel,
    OrderSearch,
    OrderSearchOpen,
    OrderById,
    OrderQuery,
    PositionSearchOpen,
    PositionClose,
    TradeSearch,
}

impl Call {
    pub fn path(self) -> &'static str {
        match self {
            Self::LoginKey => "/api/Auth/loginKey",
            Self::Validate => "/api/Auth/validate",
            Self::AccountSearch => "/api/Account/search",
            Self::ContractSearch => "/api/Contract/search",
            Self::ContractById => "/api/Contract/searchById",
            Self::OrderPlace => "/api/Order/place",
            Self::OrderCancel => "/api/Order/cancel",
            Self::OrderSearch => "/api/Order/search",
            Self::OrderSearchOpen => "/api/Order/searchOpen",
            Self::OrderById => "/api/Order/searchById",
            Self::OrderQuery => "/api/Order/v2/query",
            Self::PositionSearchOpen => "/api/Position/searchOpen",
            Self::PositionClose => "/api/Position/closeContract",
            Self::TradeSearch => "/api/Trade/search",
        }
    }

    /// Whether the call changes something at the venue (so a lost answer leaves the outcome
    /// open).
    pub fn is_mutation(self) -> bool {
        matches!(
            self,
            Self::OrderPlace | Self::OrderCancel | Self::PositionClose
        )
    }

    /// The Swagger's name of a code on this endpoint, where it has one.
    fn code_name(self, code: i64) -> Option<&'static str> {
        let names: &[&str] = match self {
            Self::LoginKey => &[
                "UserNotFound",
                "PasswordVerificationFailed",
                "InvalidCredentials",
                "AppNotFound",
                "AppVerificationFailed",
                "InvalidDevice",
                "AgreementsNotSigned",
                "UnknownError",
                "ApiSubscriptionNotFound",
                "ApiKeyAuthenticationDisabled",
            ],
            Self::Validate => &[
                "InvalidSession",
                "SessionNotFound",
                "ExpiredToken",
                "UnknownError",
            ],
            Self::AccountSearch | Self::ContractSearch => &[],
            Self::ContractById => &["ContractNotFound"],
            Self::OrderSearch
            | Self::OrderSearchOpen
            | Self::OrderQuery
            | Self::PositionSearchOpen
            | Self::TradeSearch => &["AccountNotFound"],
            Self::OrderById => &["OrderNotFound"],
            Self::OrderPlace => &[
                "AccountNotFound",
                "OrderRejected",
                "InsufficientFunds",
                "AccountViolation",
                "OutsideTradingHours",
                "OrderPending",
                "UnknownError",
                "ContractNotFound",
                "ContractNotActive",
                "AccountRejected",
            ],
            Self::OrderCancel => &[
                "AccountNotFound",
                "OrderNotFound",
                "Rejected",
                "Pending",
                "UnknownError",
                "AccountRejected",
            ],
            Self::PositionClose => &[
                "AccountNotFound",
                "PositionNotFound",
                "ContractNotFound",
                "ContractNotActive",
                "OrderRejected",
                "OrderPending",
                "UnknownError",
                "AccountRejected",
            ],
        };
        usize::try_from(code - 1)
            .ok()
            .and_then(|index| names.get(index))
            .copied()
    }
}

/// `message (TopstepX <path> code n Name)`: the venue's words with where they came from.
fn described(call: Call, code: i64, message: Option<&str>) -> String {
    let name = call.code_name(code).unwrap_or("an unknown code");
    let source = format!("TopstepX {} code {code} {name}", call.path());
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(message) => format!("{message} ({source})"),
        None => source,
    }
}

/// What a `success:false` answer of `call` with `code` means for the copier.
pub fn failure(call: Call, code: i64, message: Option<&str>) -> BrokerError {
    use BrokerError as E;
    let text = described(call, code, message);
    match (call, code) {
        (Call::LoginKey, 1..=6) => E::BadCredentials(format!(
            "TopstepX refused the user name or API key ({text})"
        )),
        (Call::LoginKey, 7) => E::ActionRequired(format!(
            "sign the pending agreements on the TopstepX website, then link again ({text})"
        )),
        (Call::LoginKey, 9) => E::PermissionDenied(format!(
            "this TopstepX login has no API subscription: buy the API access add-on in your TopstepX account, then link again ({text})"
        )),
        (Call::LoginKey, 10) => E::PermissionDenied(format!(
            "API key sign-in is disabled for this TopstepX login: enable it (or create a new API key) in your TopstepX account ({text})"
        )),
        (Call::LoginKey | Call::Validate, 8) | (Call::Validate, 4) => E::Transient(text),
        (Call::Validate, 1..=3) => E::BadCredentials(format!("the session ended ({text})")),
        (Call::ContractById, 1) => E::UnknownSymbol(text),
        (
            Call::OrderSearch
            | Call::OrderSearchOpen
            | Call::OrderQuery
            | Call::PositionSearchOpen
            | Call::TradeSearch
            | Call::OrderPlace
            | Call::OrderCancel
            | Call::PositionClose,
            1,
        ) => E::UnknownAccount(text),
        (Call::OrderById, 1) => E::Rejected(text),
        // Order/place
        (Call::OrderPlace, 2..=5 | 9 | 10) => E::Rejected(text),
        (Call::OrderPlace, 6 | 7) => E::UnknownOutcome(text),
        (Call::OrderPlace, 8) => E::UnknownSymbol(text),
        // Order/cancel
        (Call::OrderCancel, 2 | 3 | 6) => E::Rejected(text),
        (Call::OrderCancel, 4 | 5) => E::UnknownOutcome(text),
        // Position/closeContract
        (Call::PositionClose, 2 | 4 | 5 | 8) => E::Rejected(text),
        (Call::PositionClose, 3) => E::UnknownSymbol(text),
        (Call::PositionClose, 6 | 7) => E::UnknownOutcome(text),
        (call, _) if call.is_mutation() => E::UnknownOutcome(text),
        (Call::LoginKey, _) => E::Rejected(format!("TopstepX refused the sign-in ({text})")),
        _ => E::Unreadable(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_code_means_different_things_on_each_endpoint() {
        assert!(matches!(
            failure(Call::LoginKey, 3, None),
            BrokerError::BadCredentials(_)
        ));
        assert!(matches!(
            failure(Call::OrderPlace, 3, Some("Insufficient funds")),
            BrokerError::Rejected(m) if m.starts_with("Insufficient funds")
        ));
        assert!(matches!(
            failure(Call::PositionClose, 3, None),
            BrokerError::UnknownSymbol(_)
        ));
        assert!(matches!(
            failure(Call::OrderCancel, 4, None),
            BrokerError::UnknownOutcome(_)
        ));
        assert!(matches!(
            failure(Call::OrderPlace, 6, None),
            BrokerError::UnknownOutcome(_)
        ));
        assert!(matches!(
            failure(Call::OrderSearch, 1, None),
            BrokerError::UnknownAccount(_)
        ));
    }

    #[test]
    fn login_failures_say_what_the_user_must_do() {
        let BrokerError::PermissionDenied(message) = failure(Call::LoginKey, 9, None) else {
            panic!("code 9 is a missing API subscription");
        };
        assert!(message.contains("API access add-on"), "{message}");
        assert!(message.contains("ApiSubscriptionNotFound"), "{message}");
        assert!(matches!(
            failure(Call::LoginKey, 10, None),
            BrokerError::PermissionDenied(_)
        ));
        assert!(matches!(
            failure(Call::LoginKey, 7, None),
            BrokerError::ActionRequired(_)
        ));
        assert!(matches!(
            failure(Call::LoginKey, 1, None),
            BrokerError::BadCredentials(_)
        ));
        assert!(matches!(
            failure(Call::LoginKey, 8, None),
            BrokerError::Transient(_)
        ));
    }

    #[test]
    fn unknown_codes_are_never_taken_for_something_known() {
        assert!(matches!(
            failure(Call::OrderPlace, 42, None),
            BrokerError::UnknownOutcome(_)
        ));
        assert!(matches!(
            failure(Call::AccountSearch, 1, None),
            BrokerError::Unreadable(_)
        ));
        assert!(matches!(
            failure(Call::PositionSearchOpen, 7, None),
            BrokerError::Unreadable(_)
        ));
    }
}
