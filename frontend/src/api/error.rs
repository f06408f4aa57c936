//! The one error type of the API layer, shown to people as is.
//!
//! Its `Display` text is written for the user of the app (it ends up in the UI), while the
//! variant and [`GraphQlError::code`] are what code matches on: the server gives each error a
//! stable `code` extension (`UNAUTHENTICATED`, `NOT_FOUND`, …) and may reword messages freely.

use std::fmt;

/// Why a request to the server did not produce data.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The request never got an answer: server down, network gone, or the browser refused it.
    Network(String),
    /// The server answered with an HTTP error status and no GraphQL body.
    Status(u16),
    /// The answer was not the JSON this operation expects (for instance a proxy's error page).
    Decode(String),
    /// The request could not be encoded; a bug in the app rather than a server problem.
    Encode(String),
    /// The server executed the operation and reported errors.
    GraphQl(Vec<GraphQlError>),
    /// A well-formed answer that had neither data nor errors.
    NoData,
}

/// One entry of a GraphQL response's `errors` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphQlError {
    pub message: String,
    /// The server's stable `extensions.code`, when it sent one.
    pub code: Option<String>,
}

impl ApiError {
    /// Whether the server was not reached at all, as opposed to answering with an error.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Status(502..=504))
    }

    /// Turns a parsed GraphQL response into its data or the errors it reported.
    ///
    /// Errors win over partial data: the operations this app runs are small, so a partial
    /// answer is treated as a failed one rather than rendered half-empty.
    pub(crate) fn check<T>(response: graphql_client::Response<T>) -> Result<T, Self> {
        match (response.data, response.errors) {
            (_, Some(errors)) if !errors.is_empty() => Err(Self::GraphQl(
                errors.into_iter().map(GraphQlError::from).collect(),
            )),
            (Some(data), _) => Ok(data),
            (None, _) => Err(Self::NoData),
        }
    }
}

impl From<graphql_client::Error> for GraphQlError {
    fn from(error: graphql_client::Error) -> Self {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| code.as_str())
            .map(str::to_owned);
        Self {
            message: error.message,
            code,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(_) => f.write_str("The CopyTrade server cannot be reached."),
            Self::Status(status) => write!(f, "The server answered with HTTP status {status}."),
            Self::Decode(_) => {
                f.write_str("The server sent an answer this app does not understand.")
            }
            Self::Encode(detail) => write!(f, "The app could not build its request ({detail})."),
            Self::GraphQl(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                if messages.is_empty() {
                    f.write_str("The server reported an error.")
                } else {
                    f.write_str(&messages.join(" "))
                }
            }
            Self::NoData => f.write_str("The server sent an empty answer."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(json: &str) -> graphql_client::Response<serde_json::Value> {
        serde_json::from_str(json).expect("test JSON is valid")
    }

    #[test]
    fn data_without_errors_is_ok() {
        let checked = ApiError::check(response(r#"{"data":{"a":1}}"#));
        assert_eq!(checked, Ok(serde_json::json!({"a": 1})));
    }

    #[test]
    fn errors_win_over_partial_data_and_keep_their_code() {
        let checked = ApiError::check(response(
            r#"{"data":{"a":null},"errors":[{"message":"Not signed in","extensions":{"code":"UNAUTHENTICATED"}}]}"#,
        ));
        let expected = ApiError::GraphQl(vec![GraphQlError {
            message: "Not signed in".to_owned(),
            code: Some("UNAUTHENTICATED".to_owned()),
        }]);
        assert_eq!(checked, Err(expected));
    }

    #[test]
    fn an_empty_errors_list_is_not_an_error() {
        let checked = ApiError::check(response(r#"{"data":{"a":2},"errors":[]}"#));
        assert_eq!(checked, Ok(serde_json::json!({"a": 2})));
    }

    #[test]
    fn neither_data_nor_errors_is_no_data() {
        assert_eq!(
            ApiError::check(response(r#"{"data":null}"#)),
            Err(ApiError::NoData)
        );
    }
}
