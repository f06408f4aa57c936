//! Logging out of every browser and device at once, this one included: for a lost phone or
//! a shared computer. One click asks, a second one does it.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;

use super::SettingsCard;
use crate::api::fetch;
use crate::api::operations::{LogoutEverywhere, logout_everywhere};
use crate::app::Route;
use crate::components::{Farewell, FormAlert, IconName, use_session, use_submission};
use crate::feedback::Form;

#[component]
pub fn SessionsCard() -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let confirming = use_state_eq(|| false);
    let submission = use_submission();

    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(!*confirming))
    };
    let confirm = {
        let (submission, session) = (submission.clone(), session.clone());
        Callback::from(move |_: MouseEvent| {
            if !submission.begin() {
                return;
            }
            let (submission, session, navigator) =
                (submission.clone(), session.clone(), navigator.clone());
            spawn_local(async move {
                match fetch::<LogoutEverywhere>(logout_everywhere::Variables).await {
                    Ok(_) => {
                        submission.finish();
                        session.ended.emit(Farewell::LoggedOutEverywhere);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Login);
                        }
                    }
                    Err(error) => submission.fail(&error, &Form::BUTTON, &session),
                }
            });
        })
    };

    html! {
        <SettingsCard
            id="sessions"
            icon={IconName::Devices}
            title="Sessions"
            description="Log out of every browser and device where your account is open, this one too."
        >
            <FormAlert message={submission.feedback().general.clone()} />
            if *confirming {
                <div class="confirm" role="group" aria-label="Confirm logging out everywhere">
                    <p class="confirm__text">{ "Every session ends now, including this one. You will need your password (and code) to log in again." }</p>
                    <div class="form__actions">
                        <button class="button button--primary" type="button" onclick={confirm} disabled={submission.busy()}>
                            { if submission.busy() { "Logging out…" } else { "Yes, log out everywhere" } }
                        </button>
                        <button class="button button--secondary" type="button" onclick={ask}>{ "Cancel" }</button>
                    </div>
                </div>
            } else {
                <div class="form__actions">
                    <button class="button button--secondary" type="button" onclick={ask}>{ "Log out of all devices" }</button>
                </div>
            }
        </SettingsCard>
    }
}
