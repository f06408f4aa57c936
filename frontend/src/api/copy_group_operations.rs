//! Operations of the Copy groups page: groups, followers and their settings. Same rules as
//! [`super::operations`]: one struct per document under `frontend/graphql/`.
//!
//! One exception to generated variables: `updateFollower` changes only the fields it is given
//! and clears a field given as `null`, so its input needs three states per field (leave, set,
//! clear), which `graphql_client`'s `Option` cannot say. [`PatchFollower`] sends the document
//! of [`UpdateFollower`] (checked against the schema like every other) with variables that
//! leave unchanged fields out.

use graphql_client::{GraphQLQuery, QueryBody};

// Shared with the broker operations, so the page reads a broker the same way everywhere.
use super::operations::{BrokerKind, ConnectionStatus};

/// The schema's `DateTime` scalar, as text (see [`super::operations::DateTime`]).
type DateTime = String;

/// `Query.copyGroups`: the user's groups with their followers.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_groups.graphql",
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CopyGroups;

/// The webhooks and linked accounts a group can lead from or copy to.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_sources.graphql",
    extern_enums("BrokerKind", "ConnectionStatus"),
    variables_derives = "Clone, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CopyGroupSources;

/// `Mutation.createCopyGroup`: a new group led by a webhook or an account.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_create.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct CreateCopyGroup;

/// `Mutation.updateCopyGroup`: another name or leader.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_update.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct UpdateCopyGroup;

/// `Mutation.deleteCopyGroup`: the group and its followers; the trade log stays.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_delete.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct DeleteCopyGroup;

/// `Mutation.setCopyGroupEnabled`: pause or resume a group.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/copy_group_set_enabled.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct SetCopyGroupEnabled;

/// `Mutation.addFollower`: an account copying a group, with its settings.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/follower_add.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct AddFollower;

/// `Mutation.updateFollower`, whose document and answer [`PatchFollower`] uses.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/follower_update.graphql",
    variables_derives = "Clone, Debug, PartialEq",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct UpdateFollower;

/// `Mutation.removeFollower`: stop copying to an account.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/follower_remove.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct RemoveFollower;

/// `Mutation.setFollowerEnabled`: pause or resume one follower.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/follower_set_enabled.graphql",
    response_derives = "Clone, Debug, PartialEq"
)]
pub struct SetFollowerEnabled;

/// `Mutation.updateFollower` with only the changed fields (see the module's notes).
pub struct PatchFollower;

/// The variables of [`PatchFollower`]: `{ "input": { "id": …, <changed fields> } }`.
pub mod patch_follower {
    use serde::Serialize;

    pub use super::update_follower::SymbolMappingInput;

    #[derive(Clone, Debug, Serialize, PartialEq)]
    pub struct Variables {
        pub input: FollowerPatch,
    }

    /// `UpdateFollowerInput`. `None` leaves a field as it is; for the optional settings,
    /// `Some(None)` clears it (sent as `null`) and `Some(Some(value))` sets it.
    #[derive(Clone, Debug, Default, Serialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    pub struct FollowerPatch {
        pub id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub multiplier: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub fixed_quantity: Option<Option<f64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub max_quantity: Option<Option<f64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub max_position: Option<Option<f64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub invert: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub symbol_map: Option<Vec<SymbolMappingInput>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub daily_loss_limit: Option<Option<f64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub trading_hours: Option<Option<String>>,
    }

    impl FollowerPatch {
        /// Whether it changes nothing (only the id is set).
        pub fn is_empty(&self) -> bool {
            *self
                == Self {
                    id: self.id.clone(),
                    ..Self::default()
                }
        }
    }
}

impl GraphQLQuery for PatchFollower {
    type Variables = patch_follower::Variables;
    type ResponseData = <UpdateFollower as GraphQLQuery>::ResponseData;

    fn build_query(variables: Self::Variables) -> QueryBody<Self::Variables> {
        QueryBody {
            variables,
            query: update_follower::QUERY,
            operation_name: update_follower::OPERATION_NAME,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::patch_follower::{FollowerPatch, SymbolMappingInput, Variables};
    use super::*;

    #[test]
    fn a_patch_sends_the_changed_fields_only_and_null_to_clear() {
        let patch = FollowerPatch {
            id: "f1".to_owned(),
            multiplier: Some(3.0),
            max_quantity: Some(None),
            trading_hours: Some(Some("13:30-20:00".to_owned())),
            symbol_map: Some(vec![SymbolMappingInput {
                from: "ES".to_owned(),
                to: "MES".to_owned(),
            }]),
            ..FollowerPatch::default()
        };
        let body = PatchFollower::build_query(Variables { input: patch });
        assert_eq!(body.operation_name, "UpdateFollower");
        assert!(body.query.contains("updateFollower(input: $input)"));
        assert_eq!(
            serde_json::to_value(&body.variables).expect("serializable"),
            serde_json::json!({
                "input": {
                    "id": "f1",
                    "multiplier": 3.0,
                    "maxQuantity": null,
                    "symbolMap": [{ "from": "ES", "to": "MES" }],
                    "tradingHours": "13:30-20:00",
                }
            })
        );
    }

    #[test]
    fn a_patch_with_only_the_id_is_empty() {
        let mut patch = FollowerPatch {
            id: "f1".to_owned(),
            ..FollowerPatch::default()
        };
        assert!(patch.is_empty());
        patch.invert = Some(false);
        assert!(!patch.is_empty());
    }
}
