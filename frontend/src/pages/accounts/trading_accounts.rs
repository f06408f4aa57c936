//! The trading accounts a connection can see, with the balance and open positions the broker
//! reports now. Quantities are signed (long positive, short negative), since that sign is the
//! position's side.

use yew::prelude::*;

use crate::api::operations::broker_connections::BrokerConnectionsBrokerConnectionsAccounts as Account;
use crate::format::{money_label, price_label, quantity_label};

#[derive(Properties, PartialEq)]
pub struct TradingAccountsProps {
    pub accounts: Vec<Account>,
}

#[component]
pub fn TradingAccounts(props: &TradingAccountsProps) -> Html {
    html! {
        <div class="trading-accounts">
            <h3 class="trading-accounts__title">{ "Trading accounts" }</h3>
            if props.accounts.is_empty() {
                <p class="trading-accounts__empty">{ "The broker shows no trading accounts for this login." }</p>
            } else {
                <ul class="trading-accounts__list">
                    { for props.accounts.iter().map(account) }
                </ul>
            }
        </div>
    }
}

fn account(account: &Account) -> Html {
    let balance = match account.balance {
        Some(balance) => html! {
            <span class="trading-account__balance" data-testid="account-balance">{ money_label(balance) }</span>
        },
        None => html! {
            <span class="trading-account__balance trading-account__balance--unknown" data-testid="account-balance">
                { "Not available just now" }
            </span>
        },
    };
    let rows = account.positions.iter().map(|position| {
        html! {
            <tr>
                <td>{ position.symbol.clone() }</td>
                <td class="table__numeric">{ quantity_label(position.quantity) }</td>
                <td class="table__numeric">{ price_label(position.average_price) }</td>
            </tr>
        }
    });
    html! {
        <li class="trading-account" data-testid="trading-account">
            <div class="trading-account__head">
                <div class="trading-account__names">
                    <span class="trading-account__name">{ account.name.clone() }</span>
                    <span class="trading-account__id">{ account.external_id.clone() }</span>
                </div>
                <div class="trading-account__money">
                    <span class="trading-account__caption">{ "Balance" }</span>
                    { balance }
                </div>
            </div>
            if account.positions.is_empty() {
                <p class="trading-account__empty">{ "No open positions." }</p>
            } else {
                <div class="table-wrap">
                    <table class="table table--compact">
                        <caption class="visually-hidden">{ format!("Open positions in {}", account.name) }</caption>
                        <thead>
                            <tr>
                                <th scope="col">{ "Symbol" }</th>
                                <th scope="col" class="table__numeric">{ "Quantity" }</th>
                                <th scope="col" class="table__numeric">{ "Average price" }</th>
                            </tr>
                        </thead>
                        <tbody>{ for rows }</tbody>
                    </table>
                </div>
            }
        </li>
    }
}
