//! One factor check per operation (SEC-9; docs/security.md, "Guessing and flooding").
//!
//! GraphQL aliases let one request call a mutation many times (`a: login(...) b: login(...)`).
//! Each call counts against the guessing limits anyway, but an operation may hold at most one
//! mutation that checks a password, a code or a mailed link, creates a session or sends a mail,
//! so a request can never carry a batch of guesses or of mails. Checked when the document is parsed, before anything runs;
//! fragments are followed, so spreading the same mutation twice does not get round it.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{ErrorExtensionValues, Name, Positioned, ServerError, ServerResult, Variables};

/// Mutations that check a password, a TOTP code, a backup code or a mailed link, start a
/// session, or send a mail.
const FACTOR_MUTATIONS: &[&str] = &[
    "register",
    "login",
    "reauthenticate",
    "changePassword",
    "deleteAccount",
    "confirmTotp",
    "disableTotp",
    "regenerateBackupCodes",
    "linkBrokerAccount",
    "updateBrokerCredentials",
    "verifyEmail",
    "resendVerificationEmail",
    "requestPasswordReset",
    "resetPassword",
];

/// Fragments nest at most this deep here (deeper documents fail validation later anyway).
const MAX_FRAGMENT_DEPTH: usize = 12;

pub struct OneFactorCheckPerOperation;

impl ExtensionFactory for OneFactorCheckPerOperation {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OneFactorCheckPerOperation)
    }
}

#[async_trait::async_trait]
impl Extension for OneFactorCheckPerOperation {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let operations: Vec<_> = match &document.operations {
            DocumentOperations::Single(operation) => vec![operation],
            DocumentOperations::Multiple(operations) => operations.values().collect(),
        };
        for operation in operations {
            if operation.node.ty != OperationType::Mutation {
                continue;
            }
            let mut found = Vec::new();
            collect(
                &operation.node.selection_set.node,
                &document.fragments,
                &mut HashSet::new(),
                0,
                &mut found,
            );
            if found.len() > 1 {
                let mut error = ServerError::new(
                    format!(
                        "one request may hold at most one mutation that checks a password or a \
                         code; this one holds {}: {}",
                        found.len(),
                        found.join(", ")
                    ),
                    None,
                );
                let mut extensions = ErrorExtensionValues::default();
                extensions.set("code", super::error::code::BAD_REQUEST);
                error.extensions = Some(extensions);
                return Err(error);
            }
        }
        Ok(document)
    }
}

/// Appends the factor-checking root fields of `set` (through fragments) to `found`.
fn collect(
    set: &SelectionSet,
    fragments: &std::collections::HashMap<Name, Positioned<FragmentDefinition>>,
    seen: &mut HashSet<Name>,
    depth: usize,
    found: &mut Vec<String>,
) {
    if depth > MAX_FRAGMENT_DEPTH {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if FACTOR_MUTATIONS.contains(&name) {
                    found.push(name.to_owned());
                }
            }
            Selection::InlineFragment(fragment) => collect(
                &fragment.node.selection_set.node,
                fragments,
                seen,
                depth + 1,
                found,
            ),
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                // Each spread of a fragment counts; `seen` only stops a cycle.
                if seen.insert(name.clone()) {
                    if let Some(fragment) = fragments.get(name) {
                        collect(
                            &fragment.node.selection_set.node,
                            fragments,
                            seen,
                            depth + 1,
                            found,
                        );
                    }
                    seen.remove(name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(query: &str) -> usize {
        let document = async_graphql::parser::parse_query(query).unwrap();
        let DocumentOperations::Single(operation) = &document.operations else {
            panic!("one operation");
        };
        let mut found = Vec::new();
        collect(
            &operation.node.selection_set.node,
            &document.fragments,
            &mut HashSet::new(),
            0,
            &mut found,
        );
        found.len()
    }

    #[test]
    fn aliases_inline_fragments_and_spreads_are_all_counted() {
        assert_eq!(
            count("mutation { login(email: \"a\", password: \"b\") { token } }"),
            1
        );
        assert_eq!(
            count(
                "mutation { a: disableTotp(password: \"x\", totpCode: \"1\") b: disableTotp(password: \"y\", totpCode: \"2\") }"
            ),
            2
        );
        assert_eq!(
            count(
                "mutation { ... on Mutation { deleteAccount(password: \"x\") } deleteAccount(password: \"y\") }"
            ),
            2
        );
        assert_eq!(
            count(
                "mutation { ...F ...F } fragment F on Mutation { changePassword(currentPassword: \"a\", newPassword: \"b\") { token } }"
            ),
            2
        );
        assert_eq!(
            count("mutation { logout createWebhook(name: \"x\") { url } }"),
            0
        );
    }
}
