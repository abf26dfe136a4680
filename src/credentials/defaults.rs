//! The default lists, as constant tables: matching them costs a few string compares
//! per variable, with nothing to compile or read at exec time.

use super::envpolicy::Why;

/// Variables removed by exact name.
pub(super) const EXACT: &[(&str, Why)] = &[
    // AWS: static keys, session tokens, web identity and container credentials.
    ("AWS_ACCESS_KEY_ID", Why::Cloud),
    ("AWS_SECRET_ACCESS_KEY", Why::Cloud),
    ("AWS_SESSION_TOKEN", Why::Cloud),
    ("AWS_SECURITY_TOKEN", Why::Cloud),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", Why::Cloud),
    ("AWS_ROLE_ARN", Why::Cloud),
    ("AWS_ROLE_SESSION_NAME", Why::Cloud),
    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", Why::Cloud),
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", Why::Cloud),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", Why::Cloud),
    ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Why::Cloud),
    ("AWS_SHARED_CREDENTIALS_FILE", Why::Cloud),
    // Google Cloud.
    ("GOOGLE_APPLICATION_CREDENTIALS", Why::Cloud),
    ("GOOGLE_CREDENTIALS", Why::Cloud),
    ("GOOGLE_CLOUD_KEYFILE_JSON", Why::Cloud),
    ("GOOGLE_OAUTH_ACCESS_TOKEN", Why::Cloud),
    ("GCLOUD_KEYFILE_JSON", Why::Cloud),
    // Azure (the az CLI, the SDKs' EnvironmentCredential, Terraform's azurerm).
    ("AZURE_CLIENT_SECRET", Why::Cloud),
    ("AZURE_CLIENT_CERTIFICATE_PATH", Why::Cloud),
    ("AZURE_CLIENT_CERTIFICATE_PASSWORD", Why::Cloud),
    ("AZURE_PASSWORD", Why::Cloud),
    ("AZURE_FEDERATED_TOKEN_FILE", Why::Cloud),
    ("AZURE_STORAGE_KEY", Why::Cloud),
    ("AZURE_STORAGE_CONNECTION_STRING", Why::Cloud),
    ("AZURE_STORAGE_SAS_TOKEN", Why::Cloud),
    ("ARM_CLIENT_SECRET", Why::Cloud),
    ("ARM_CLIENT_CERTIFICATE_PASSWORD", Why::Cloud),
    ("ARM_CLIENT_CERTIFICATE_PATH", Why::Cloud),
    ("ARM_ACCESS_KEY", Why::Cloud),
    ("ARM_SAS_TOKEN", Why::Cloud),
    ("ARM_OIDC_TOKEN", Why::Cloud),
    ("ARM_OIDC_TOKEN_FILE_PATH", Why::Cloud),
    // Other clouds.
    ("DIGITALOCEAN_ACCESS_TOKEN", Why::Cloud),
    ("HCLOUD_TOKEN", Why::Cloud),
    ("LINODE_TOKEN", Why::Cloud),
    ("CLOUDFLARE_API_TOKEN", Why::Cloud),
    ("CLOUDFLARE_API_KEY", Why::Cloud),
    ("ALICLOUD_ACCESS_KEY", Why::Cloud),
    ("ALICLOUD_SECRET_KEY", Why::Cloud),
    ("OCI_CLI_KEY_FILE", Why::Cloud),
    ("SCW_SECRET_KEY", Why::Cloud),
    ("OS_PASSWORD", Why::Cloud),
    ("OS_TOKEN", Why::Cloud),
    // Clusters.
    ("KUBE_TOKEN", Why::Cluster),
    ("K8S_AUTH_API_KEY", Why::Cluster),
    ("HELM_REPO_PASSWORD", Why::Cluster),
    ("NOMAD_TOKEN", Why::Cluster),
    ("CONSUL_HTTP_TOKEN", Why::Cluster),
    ("CONSUL_HTTP_AUTH", Why::Cluster),
    // Code hosts and CI.
    ("GITHUB_TOKEN", Why::CodeHost),
    ("GH_TOKEN", Why::CodeHost),
    ("GH_ENTERPRISE_TOKEN", Why::CodeHost),
    ("GITHUB_ENTERPRISE_TOKEN", Why::CodeHost),
    ("GITLAB_TOKEN", Why::CodeHost),
    ("GITLAB_PRIVATE_TOKEN", Why::CodeHost),
    ("CI_JOB_TOKEN", Why::CodeHost),
    ("BITBUCKET_TOKEN", Why::CodeHost),
    ("HOMEBREW_GITHUB_API_TOKEN", Why::CodeHost),
    // Package registries.
    ("NPM_TOKEN", Why::Registry),
    ("NODE_AUTH_TOKEN", Why::Registry),
    ("YARN_NPM_AUTH_TOKEN", Why::Registry),
    ("PYPI_TOKEN", Why::Registry),
    ("TWINE_PASSWORD", Why::Registry),
    ("UV_PUBLISH_TOKEN", Why::Registry),
    ("POETRY_PYPI_TOKEN_PYPI", Why::Registry),
    ("CARGO_REGISTRY_TOKEN", Why::Registry),
    ("GEM_HOST_API_KEY", Why::Registry),
    ("DOCKER_PASSWORD", Why::Registry),
    ("DOCKER_AUTH_CONFIG", Why::Registry),
    ("REGISTRY_AUTH_FILE", Why::Registry),
    // Vault.
    ("VAULT_TOKEN", Why::Vault),
    ("VAULT_ROLE_ID", Why::Vault),
    ("VAULT_SECRET_ID", Why::Vault),
    // Databases.
    ("PGPASSWORD", Why::Database),
    ("PGPASSFILE", Why::Database),
    ("MYSQL_PWD", Why::Database),
    ("REDISCLI_AUTH", Why::Database),
    ("MONGODB_PASSWORD", Why::Database),
    // Agents that sign or log in on the user's behalf.
    ("SSH_AUTH_SOCK", Why::CredentialAgent),
    ("GPG_AGENT_INFO", Why::CredentialAgent),
    ("GIT_ASKPASS", Why::CredentialAgent),
    ("SSH_ASKPASS", Why::CredentialAgent),
    // Code run by shells and interpreters at start-up.
    ("BASH_ENV", Why::CodeInjection),
    ("ENV", Why::CodeInjection),
    ("ZDOTDIR", Why::CodeInjection),
    ("PROMPT_COMMAND", Why::CodeInjection),
    ("PS4", Why::CodeInjection),
    ("SHELLOPTS", Why::CodeInjection),
    ("BASHOPTS", Why::CodeInjection),
    ("PERL5OPT", Why::CodeInjection),
    ("PERL5LIB", Why::CodeInjection),
    ("PERLLIB", Why::CodeInjection),
    ("PERL5DB", Why::CodeInjection),
    ("PYTHONSTARTUP", Why::CodeInjection),
    ("PYTHONINSPECT", Why::CodeInjection),
    // Where an interpreter looks for modules decides what code it runs.
    ("PYTHONPATH", Why::CodeInjection),
    ("PYTHONHOME", Why::CodeInjection),
    ("PYTHONBREAKPOINT", Why::CodeInjection),
    ("RUBYLIB", Why::CodeInjection),
    ("NODE_PATH", Why::CodeInjection),
    // glibc loads character-set converters from here.
    ("GCONV_PATH", Why::CodeInjection),
    ("RUBYOPT", Why::CodeInjection),
    ("NODE_OPTIONS", Why::CodeInjection),
    ("JAVA_TOOL_OPTIONS", Why::CodeInjection),
    ("_JAVA_OPTIONS", Why::CodeInjection),
    ("JDK_JAVA_OPTIONS", Why::CodeInjection),
    ("GIT_SSH", Why::CodeInjection),
    ("GIT_SSH_COMMAND", Why::CodeInjection),
    ("GIT_PROXY_COMMAND", Why::CodeInjection),
    ("GIT_EXTERNAL_DIFF", Why::CodeInjection),
    ("GIT_EXEC_PATH", Why::CodeInjection),
    ("GIT_CONFIG_PARAMETERS", Why::CodeInjection),
    ("GIT_CONFIG_COUNT", Why::CodeInjection),
    ("LESSOPEN", Why::CodeInjection),
    ("LESSCLOSE", Why::CodeInjection),
];

/// Variables removed by prefix.
pub(super) const PREFIXES: &[(&str, Why)] = &[
    ("CLOUDSDK_AUTH_", Why::Cloud),
    // The dynamic loader's variables: `LD_PRELOAD`, `LD_LIBRARY_PATH`, `LD_AUDIT`, ...
    ("LD_", Why::CodeInjection),
    ("DYLD_", Why::CodeInjection),
    // Exported bash functions can stand in for any command a script runs.
    ("BASH_FUNC_", Why::CodeInjection),
    ("GIT_CONFIG_KEY_", Why::CodeInjection),
    ("GIT_CONFIG_VALUE_", Why::CodeInjection),
];

/// Parts of a `_`-separated name that make it secret on their own (`*_TOKEN`,
/// `*_SECRET*`, `*PASSWORD*`). Whole parts, so `TOKENIZERS_PARALLELISM` stays.
pub(super) const SECRET_PARTS: &[&str] = &[
    "TOKEN",
    "TOKENS",
    "SECRET",
    "SECRETS",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "AUTH",
    // `DB_PASS`, `REDIS_PWD`: the short spellings (a bare `PWD` is the working
    // directory, and is in [`NEVER`]).
    "PASS",
    "PWD",
    "PAT",
    "PRIVATEKEY",
];

/// Adjacent parts that together make a name secret (`*_API_KEY`, `*_ACCESS_KEY*`).
pub(super) const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SECRET", "KEY"),
    ("CLIENT", "KEY"),
    ("SIGNING", "KEY"),
    ("MASTER", "KEY"),
    ("ACCOUNT", "KEY"),
    ("SAS", "KEY"),
    ("SESSION", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("AUTH", "KEY"),
];

/// Substrings that make a name secret wherever they appear (`DBPASSWORD`).
pub(super) const SECRET_INFIXES: &[&str] = &["PASSWORD", "PASSWD", "SECRET"];

/// Ends of a name run together that make it secret (`ACCESSTOKEN`, `OPENAIAPIKEY`);
/// only at the end, so `TOKENIZERS_PARALLELISM` stays.
pub(super) const SECRET_SUFFIXES: &[&str] = &["TOKEN", "APIKEY", "AUTHKEY"];

/// Starts of values that are tokens whatever their variable is called.
pub(super) const TOKEN_VALUE_PREFIXES: &[&str] = &[
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "npm_",
    "hvs.",
    "sk-",
    // A JSON web token: a bearer credential whatever holds it.
    "eyJ",
];

/// A token prefix only counts on a value at least this long: `sk-1` is not a key.
pub(super) const MIN_TOKEN_LEN: usize = 20;

/// Variables no default rule removes: the session itself depends on them.
pub(super) const NEVER: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "PWD",
    "OLDPWD",
    "LANG",
    "INTERLOCK_SESSION",
    "INTERLOCK_SHIMS_DIR",
    "INTERLOCK_REAL_SHELL",
    "INTERLOCK_SHIM_DEPTH",
];
