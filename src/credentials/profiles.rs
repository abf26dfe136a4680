//! Per-tool credential profiles: `[profiles.aws] set = { AWS_PROFILE = "agent-readonly" }`
//! points a tool at a least-privilege identity when a shim runs it. Only that tool's
//! process gets the variables; the agent and other tools never see them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The `[profiles]` table: tool name to profile.
pub type Profiles = BTreeMap<String, Profile>;

/// One tool's profile.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Variables set for the tool (`AWS_PROFILE`, `KUBECONFIG`, `CLOUDSDK_CONFIG`,
    /// `PGSERVICEFILE`, ...). Values are paths and profile names, not secrets.
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Variables removed for the tool on top of the environment policy
    /// (`AWS_DEFAULT_PROFILE` when the profile picks `AWS_PROFILE`).
    #[serde(default)]
    pub unset: Vec<String>,
}
