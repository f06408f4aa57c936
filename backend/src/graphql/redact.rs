//! Syntax errors without the query's text (SEC-3). The parser's message quotes the offending
//! line of the query, and a query can carry a credential inline (`apiSecret: "…"`); the answer
//! keeps what was expected and where (`locations`), never the line itself.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};

pub struct RedactSyntaxErrors;

impl ExtensionFactory for RedactSyntaxErrors {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RedactSyntaxErrors)
    }
}

#[async_trait::async_trait]
impl Extension for RedactSyntaxErrors {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|mut err| {
            err.message = redact(&err.message);
            err
        })
    }
}

/// ` --> 1:144\n  |\n1 | <the query line>\n  |  ^---\n  |\n  = expected selection_set`
/// becomes `syntax error: expected selection_set`.
fn redact(message: &str) -> String {
    if !message.contains('\n') {
        return message.to_owned();
    }
    let expected = message
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("= "))
        .unwrap_or("the query cannot be parsed");
    format!("syntax error: {expected}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_query_line_is_dropped_and_the_expectation_kept() {
        let parser = " --> 1:20\n  |\n1 | { a(secret: \"s3cr3t\") \n  |                    ^---\n  |\n  = expected selection";
        assert_eq!(redact(parser), "syntax error: expected selection");
        assert_eq!(redact("Unknown field \"x\""), "Unknown field \"x\"");
    }
}
