//! The Azure CLI's target: the subscription, from `--subscription` and
//! `AZURE_SUBSCRIPTION_ID`.

use super::{Found, Scope, option};
use crate::normalize::Command;
use crate::policy::args::ArgView;

pub fn detect(d: &Scope<'_>, cmd: &Command, view: &ArgView<'_>) -> Found {
    let subscription = option(view, &["--subscription"])
        .map(str::to_owned)
        .or_else(|| d.var(cmd, "AZURE_SUBSCRIPTION_ID"))
        .or_else(|| {
            d.setting("az account set", d.changes.az_subscription.as_ref())
                .flatten()
        });
    Found {
        items: subscription
            .into_iter()
            .map(|s| ("az-subscription", s))
            .collect(),
        primary: None,
        secondary: Vec::new(),
    }
}
