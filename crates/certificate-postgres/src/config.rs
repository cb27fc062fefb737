//! The database variables of docs/contract.md: `DATABASE_URL`, or the
//! NestJS service's `POSTGRES_*` variables, and the pool's bounds.

use std::time::Duration;

use serde::Deserialize;

#[derive(Clone)]
pub struct PgConfig {
    pub url: String,
    pub pool_size: usize,
    /// Bound on one database call, waiting for a connection included.
    pub timeout: Duration,
    /// How long recording a finished issuance keeps retrying while the
    /// database is unreachable, so that a restart does not waste a credential.
    pub record_retry_window: Duration,
    /// Group commit: how many claim (and record) statements may run at once;
    /// what arrives while all are busy shares the next one.
    pub batch_lanes: usize,
    /// The most jobs one statement carries.
    pub batch_max: usize,
    /// How long a lane waits for more jobs after the first (0: it sends
    /// what is queued at once).
    pub batch_wait: Duration,
}

impl std::fmt::Debug for PgConfig {
    /// The URL without its password, so that a configuration printed for a
    /// diagnosis never carries it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &without_password(&self.url))
            .field("pool_size", &self.pool_size)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}")
        }
        None => url.to_owned(),
    }
}

#[derive(Deserialize)]
struct Env {
    database_url: Option<String>,
    postgres_host: Option<String>,
    #[serde(default = "default_port")]
    postgres_port: u16,
    postgres_database: Option<String>,
    postgres_username: Option<String>,
    postgres_password: Option<String>,
    #[serde(default = "default_pool_size")]
    db_pool_size: usize,
    #[serde(default = "default_timeout_ms")]
    db_timeout_ms: u64,
    #[serde(default = "default_record_retry_ms")]
    db_record_retry_ms: u64,
    #[serde(default = "default_batch_lanes")]
    db_batch_lanes: usize,
    #[serde(default = "default_batch_max")]
    db_batch_max: usize,
    #[serde(default)]
    db_batch_wait_us: u64,
}

fn default_port() -> u16 {
    5432
}
fn default_pool_size() -> usize {
    16
}
fn default_timeout_ms() -> u64 {
    5_000
}
fn default_record_retry_ms() -> u64 {
    15_000
}
fn default_batch_lanes() -> usize {
    2
}
fn default_batch_max() -> usize {
    64
}

impl PgConfig {
    /// `None` when no database is configured (the service then keeps
    /// everything in memory). `DATABASE_URL` wins over `POSTGRES_*`.
    pub fn from_env() -> Result<Option<Self>, envy::Error> {
        Self::from_vars(std::env::vars())
    }

    pub fn from_vars(vars: impl Iterator<Item = (String, String)>) -> Result<Option<Self>, envy::Error> {
        let env: Env = envy::from_iter(vars)?;
        let Some(url) = url(&env)? else {
            return Ok(None);
        };
        for (name, value) in [
            ("DB_POOL_SIZE", env.db_pool_size),
            ("DB_BATCH_LANES", env.db_batch_lanes),
            ("DB_BATCH_MAX", env.db_batch_max),
        ] {
            if value == 0 {
                return Err(envy::Error::Custom(format!("{name} must be at least 1")));
            }
        }
        Ok(Some(Self {
            url,
            pool_size: env.db_pool_size,
            timeout: Duration::from_millis(env.db_timeout_ms),
            record_retry_window: Duration::from_millis(env.db_record_retry_ms),
            batch_lanes: env.db_batch_lanes,
            batch_max: env.db_batch_max,
            batch_wait: Duration::from_micros(env.db_batch_wait_us),
        }))
    }
}

fn url(env: &Env) -> Result<Option<String>, envy::Error> {
    let set = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    if let Some(url) = set(&env.database_url) {
        return Ok(Some(url));
    }
    let Some(host) = set(&env.postgres_host) else {
        return Ok(None);
    };
    let required = |value: &Option<String>, name: &str| {
        set(value).ok_or_else(|| envy::Error::Custom(format!("{name} is required when POSTGRES_HOST is set")))
    };
    let database = required(&env.postgres_database, "POSTGRES_DATABASE")?;
    let user = required(&env.postgres_username, "POSTGRES_USERNAME")?;
    let password = env.postgres_password.as_deref().map(|p| format!(":{}", percent_encode(p))).unwrap_or_default();
    Ok(Some(format!("postgres://{}{password}@{host}:{}/{database}", percent_encode(&user), env.postgres_port)))
}

/// Userinfo of a URL: everything but unreserved characters is escaped.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Option<PgConfig>, envy::Error> {
        PgConfig::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_password_never_shows_in_the_debug_form() {
        let printed = format!("{:?}", config(&[("DATABASE_URL", "postgres://app:s3cr%40t@db:5432/certs")]).unwrap());
        assert!(!printed.contains("s3cr") && printed.contains("postgres://app:***@db:5432/certs"), "{printed}");
        let printed = format!(
            "{:?}",
            config(&[
                ("POSTGRES_HOST", "db"),
                ("POSTGRES_DATABASE", "certs"),
                ("POSTGRES_USERNAME", "app"),
                ("POSTGRES_PASSWORD", "p@ss:word")
            ])
            .unwrap()
        );
        assert!(!printed.contains("word") && !printed.contains("p%40ss"), "{printed}");
    }

    fn url_of(vars: &[(&str, &str)]) -> String {
        config(vars).unwrap().expect("a database is configured").url
    }

    #[test]
    fn nothing_set_is_no_database() {
        assert!(config(&[]).unwrap().is_none());
    }

    #[test]
    fn database_url_wins_over_postgres_variables() {
        assert_eq!(url_of(&[("DATABASE_URL", "postgres://a@b/c"), ("POSTGRES_HOST", "elsewhere")]), "postgres://a@b/c");
    }

    #[test]
    fn postgres_variables_build_an_escaped_url() {
        let vars = [
            ("POSTGRES_HOST", "db"),
            ("POSTGRES_DATABASE", "tracking"),
            ("POSTGRES_USERNAME", "svc"),
            ("POSTGRES_PASSWORD", "p@ss:w/rd"),
        ];
        assert_eq!(url_of(&vars), "postgres://svc:p%40ss%3Aw%2Frd@db:5432/tracking");
    }

    #[test]
    fn a_missing_or_invalid_variable_is_named() {
        let error = |vars: &[(&str, &str)]| config(vars).unwrap_err().to_string();
        assert!(error(&[("POSTGRES_HOST", "db")]).contains("POSTGRES_DATABASE"));
        assert!(error(&[("DATABASE_URL", "postgres://a@b/c"), ("DB_POOL_SIZE", "0")]).contains("DB_POOL_SIZE"));
        assert!(error(&[("DATABASE_URL", "postgres://a@b/c"), ("DB_TIMEOUT_MS", "soon")]).contains("DB_TIMEOUT_MS"));
    }
}
