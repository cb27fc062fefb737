//! The command line, a driving adapter like the HTTP one: `serve` (the
//! default), `migrate`, the outbox commands, which it runs through the
//! domain's `OutboxAdmin` port and `Retention`, the keys commands, which
//! the binary runs on the built-in issuer's keyring, and the jobs commands,
//! a client of a running service's bulk routes (`jobs.rs`). It promises a
//! usage error naming what is wrong, and output an operator can read.

mod jobs;

use std::path::PathBuf;
use std::time::Duration;

use certificate_domain::ports::{AdminError, OutboxAdmin};
use certificate_domain::{parse_iso8601, Retention};
use chrono::{DateTime, Utc};
pub use jobs::{run_jobs, JobsCommand, Service};

pub const USAGE: &str = "usage: certificate-service [COMMAND]

commands:
  serve                                   serve HTTP and relay events (the default)
  migrate                                 apply pending database migrations and exit
  outbox status                           pending and dead events, age of the oldest pending
  outbox retry-dead                       make every dead-lettered event due again
  outbox replay --since T [--until T]     republish the events created in [T, T') with their ids
                                          (T in ISO 8601; --until defaults to now)
  outbox prune [--older-than D]           delete published events, released claims, idempotency keys,
                                          expired wallet offers and finished bulk jobs older than D
                                          (7d, 36h, ...; default OUTBOX_RETENTION); dead events are kept
  keys init [--from KEY_FILE]             write a keyring for the built-in issuer: the current key (KEY_FILE's,
                                          or a new one) and a next key, published before it signs
  keys rotate                             the next key signs from now on; the current one is retired (its
                                          secret dropped) and a new next key is made
  keys compromise KEY --since T           what the retired KEY (its z6Mk… multikey) signed from T on is invalid
  keys show                               every key's public multikey and state, no secret
                                          (the keys commands work on ISSUER_KEYS_FILE, or --file F)
  jobs submit FILE --url URL [--token T]  submit a cohort (CSV, or JSON if FILE ends in .json) to the service
                                          at URL, show its progress until it ends, write failed rows to
                                          FILE.failed.csv (or .json) to submit again once fixed
  jobs status JOB --url URL [--token T]   a bulk job's state, counts and rate
  jobs cancel JOB --url URL [--token T]   cancel what a bulk job has not started; its state then

configuration comes from the environment: see docs/operating.md";

/// What is wrong with the command line, in one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

fn usage<T>(message: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(message.into()))
}

/// What the command line asks for: the usage text, or a command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    Help,
    Run(Command),
    /// A keys command on a keyring file: `--file`'s, else `None`
    /// (`ISSUER_KEYS_FILE`'s). It needs none of the service's configuration.
    Keys(KeysCommand, Option<PathBuf>),
    /// A client of a running service: none of this one's configuration.
    Jobs(JobsCommand),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    Migrate,
    Outbox(OutboxCommand),
}

/// The commands on the built-in issuer's keyring (no database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysCommand {
    /// `from`: the key file whose key becomes the current one.
    Init {
        from: Option<PathBuf>,
    },
    Rotate,
    Compromise {
        key: String,
        since: DateTime<Utc>,
    },
    Show,
}

/// The commands that need only the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxCommand {
    Status,
    RetryDead,
    Replay {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// `None`: the configured retention.
    Prune {
        older_than: Option<Duration>,
    },
}

impl OutboxCommand {
    /// How long the command keeps what the outbox no longer needs.
    pub fn retention(&self, configured: Duration) -> Duration {
        match self {
            OutboxCommand::Prune { older_than: Some(age) } => *age,
            _ => configured,
        }
    }
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Invocation, UsageError> {
    let args: Vec<String> = args.into_iter().collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let outbox = |command| Ok(Invocation::Run(Command::Outbox(command)));
    match words.as_slice() {
        [] | ["serve"] => Ok(Invocation::Run(Command::Serve)),
        ["migrate"] => Ok(Invocation::Run(Command::Migrate)),
        ["outbox", "status"] => outbox(OutboxCommand::Status),
        ["outbox", "retry-dead"] => outbox(OutboxCommand::RetryDead),
        ["outbox", "replay", options @ ..] => outbox(replay(options)?),
        ["outbox", "prune"] => outbox(OutboxCommand::Prune { older_than: None }),
        ["outbox", "prune", "--older-than", age] => {
            outbox(OutboxCommand::Prune { older_than: Some(parse_duration(age)?) })
        }
        ["keys", rest @ ..] => keys(rest),
        ["jobs", rest @ ..] => jobs_command(rest),
        ["help" | "--help" | "-h"] => Ok(Invocation::Help),
        _ => usage(format!("unknown command: {}", args.join(" "))),
    }
}

/// A duration as an operator writes it: a whole number and a unit, `s`, `m`,
/// `h` or `d` (`7d`, `36h`).
pub fn parse_duration(text: &str) -> Result<Duration, UsageError> {
    let digits = text.trim_end_matches(char::is_alphabetic);
    let seconds_per_unit = match &text[digits.len()..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return usage(format!("'{text}' is not a duration such as 7d, 36h, 30m or 90s")),
    };
    let Ok(count) = digits.parse::<u64>() else {
        return usage(format!("'{text}' is not a duration such as 7d, 36h, 30m or 90s"));
    };
    Ok(Duration::from_secs(count.saturating_mul(seconds_per_unit)))
}

fn keys(words: &[&str]) -> Result<Invocation, UsageError> {
    let (words, file) = match words {
        [command @ .., "--file", file] => (command, Some(PathBuf::from(file))),
        words => (words, None),
    };
    let command = match words {
        ["init"] => KeysCommand::Init { from: None },
        ["init", "--from", key_file] => KeysCommand::Init { from: Some(PathBuf::from(key_file)) },
        ["rotate"] => KeysCommand::Rotate,
        ["show"] => KeysCommand::Show,
        ["compromise", key, "--since", since] => {
            let since = parse_iso8601(since)
                .ok_or_else(|| UsageError(format!("--since {since}: not an ISO 8601 date or date-time")))?;
            KeysCommand::Compromise { key: (*key).to_owned(), since }
        }
        ["compromise", ..] => return usage("keys compromise needs a key (its z6Mk… multikey) and --since T"),
        _ => return usage(format!("unknown keys command: keys {}", words.join(" "))),
    };
    Ok(Invocation::Keys(command, file))
}

fn jobs_command(words: &[&str]) -> Result<Invocation, UsageError> {
    let (words, token) = match words {
        [command @ .., "--token", token] => (command, Some((*token).to_owned())),
        words => (words, None),
    };
    let service = |url: &str| Service { url: url.trim_end_matches('/').to_owned(), token: token.clone() };
    let command = match words {
        ["submit", file, "--url", url] => JobsCommand::Submit { file: PathBuf::from(file), service: service(url) },
        ["status", job_id, "--url", url] => JobsCommand::Status { job_id: (*job_id).to_owned(), service: service(url) },
        ["cancel", job_id, "--url", url] => JobsCommand::Cancel { job_id: (*job_id).to_owned(), service: service(url) },
        _ => {
            return usage(format!(
                "jobs {}: use jobs submit FILE --url URL, jobs status JOB --url URL or jobs cancel JOB --url URL",
                words.join(" ")
            ))
        }
    };
    Ok(Invocation::Jobs(command))
}

fn replay(options: &[&str]) -> Result<OutboxCommand, UsageError> {
    let mut since = None;
    let mut until = None;
    for pair in options.chunks(2) {
        let value = |name: &str| {
            let raw = pair.get(1).ok_or_else(|| UsageError(format!("{name} needs a time")))?;
            parse_iso8601(raw).ok_or_else(|| UsageError(format!("{name} {raw}: not an ISO 8601 date or date-time")))
        };
        match pair[0] {
            "--since" => since = Some(value("--since")?),
            "--until" => until = Some(value("--until")?),
            other => return usage(format!("unknown option {other}")),
        }
    }
    let since = since.ok_or_else(|| UsageError("outbox replay needs --since".into()))?;
    let until = until.unwrap_or_else(Utc::now);
    if until <= since {
        return usage("--until must be after --since");
    }
    Ok(OutboxCommand::Replay { since, until })
}

/// Runs an outbox command; returns what to print.
pub async fn run_outbox(
    command: &OutboxCommand,
    admin: &dyn OutboxAdmin,
    retention: &Retention,
) -> Result<String, AdminError> {
    Ok(match command {
        OutboxCommand::Status => {
            let status = admin.status().await?;
            let oldest = status.oldest_pending.map_or("none".to_owned(), |oldest| {
                let age = (Utc::now() - oldest).num_milliseconds() as f64 / 1000.0;
                format!("{oldest} ({age:.1} s old)")
            });
            format!(
                "pending: {}\ndead: {}\noldest pending: {oldest}\nrevocations pending: {}",
                status.pending, status.dead, status.revocations_pending
            )
        }
        OutboxCommand::RetryDead => format!("{} dead events are due again", admin.retry_dead().await?),
        OutboxCommand::Replay { since, until } => {
            let horizon = retention.horizon();
            let warning = if *since < horizon {
                format!(
                    "warning: --since {since} is older than the retention (OUTBOX_RETENTION, {} days): events \
                     published before {horizon} may have been pruned and cannot be replayed\n",
                    retention.keep().as_secs_f64() / 86_400.0
                )
            } else {
                String::new()
            };
            let count = admin.replay(*since, *until).await?;
            format!("{warning}{count} events created in [{since}, {until}) will be published again")
        }
        OutboxCommand::Prune { .. } => {
            let pruned = retention.prune().await?;
            format!(
                "pruned before {}: {} published events, {} released claims, {} idempotency keys, {} expired wallet \
                 offers, tokens and nonces, {} finished bulk jobs; dead events kept",
                retention.horizon(),
                pruned.events,
                pruned.claims,
                pruned.idempotency_keys,
                pruned.wallet_rows,
                pruned.bulk_jobs
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Command, UsageError> {
        match parse(words.split_whitespace().map(str::to_owned))? {
            Invocation::Run(command) => Ok(command),
            other => panic!("{words}: {other:?}, not a command of the service"),
        }
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse_words("").unwrap(), Command::Serve);
        assert_eq!(parse_words("migrate").unwrap(), Command::Migrate);
        assert_eq!(parse_words("outbox status").unwrap(), Command::Outbox(OutboxCommand::Status));
        assert_eq!(
            parse_words("outbox replay --since 2026-11-01 --until 2026-11-02T00:00:00Z").unwrap(),
            Command::Outbox(OutboxCommand::Replay {
                since: "2026-11-01T00:00:00Z".parse().unwrap(),
                until: "2026-11-02T00:00:00Z".parse().unwrap()
            })
        );
        assert_eq!(parse_words("outbox prune").unwrap(), Command::Outbox(OutboxCommand::Prune { older_than: None }));
        assert_eq!(
            parse_words("outbox prune --older-than 2d").unwrap(),
            Command::Outbox(OutboxCommand::Prune { older_than: Some(Duration::from_secs(2 * 86_400)) })
        );
    }

    #[test]
    fn jobs_commands_parse_with_the_service_they_talk_to() {
        let parse_words = |words: &str| parse(words.split_whitespace().map(str::to_owned));
        let service = |token: Option<&str>| Service { url: "http://h:3000".into(), token: token.map(str::to_owned) };
        assert_eq!(
            parse_words("jobs submit c.csv --url http://h:3000/ --token t").unwrap(),
            Invocation::Jobs(JobsCommand::Submit { file: PathBuf::from("c.csv"), service: service(Some("t")) })
        );
        assert_eq!(
            parse_words("jobs status j-1 --url http://h:3000").unwrap(),
            Invocation::Jobs(JobsCommand::Status { job_id: "j-1".into(), service: service(None) })
        );
        assert_eq!(
            parse_words("jobs cancel j-1 --url http://h:3000 --token t").unwrap(),
            Invocation::Jobs(JobsCommand::Cancel { job_id: "j-1".into(), service: service(Some("t")) })
        );
        assert!(parse_words("jobs submit c.csv").unwrap_err().to_string().contains("--url URL"));
    }

    #[test]
    fn keys_commands_parse() {
        let parse_words = |words: &str| parse(words.split_whitespace().map(str::to_owned));
        let keys = |command, file: Option<&str>| Invocation::Keys(command, file.map(PathBuf::from));
        assert_eq!(parse_words("keys init").unwrap(), keys(KeysCommand::Init { from: None }, None));
        assert_eq!(
            parse_words("keys init --from issuer.pem --file keys.json").unwrap(),
            keys(KeysCommand::Init { from: Some(PathBuf::from("issuer.pem")) }, Some("keys.json"))
        );
        assert_eq!(parse_words("keys rotate").unwrap(), keys(KeysCommand::Rotate, None));
        assert_eq!(parse_words("keys show --file k.json").unwrap(), keys(KeysCommand::Show, Some("k.json")));
        assert_eq!(
            parse_words("keys compromise z6MkA --since 2026-12-01").unwrap(),
            keys(KeysCommand::Compromise { key: "z6MkA".into(), since: "2026-12-01T00:00:00Z".parse().unwrap() }, None)
        );
        assert!(parse_words("keys compromise z6MkA").unwrap_err().to_string().contains("--since"));
        assert!(parse_words("keys compromise z6MkA --since soon").unwrap_err().to_string().contains("ISO 8601"));
        assert!(parse_words("keys burn").unwrap_err().to_string().contains("keys burn"));
    }

    #[test]
    fn help_asks_for_the_usage_text() {
        for words in ["help", "--help", "-h"] {
            assert_eq!(parse([words.to_owned()]).unwrap(), Invocation::Help);
        }
    }

    #[test]
    fn bad_commands_say_why() {
        assert!(parse_words("outbox replay").unwrap_err().to_string().contains("--since"));
        assert!(parse_words("outbox replay --since yesterday").unwrap_err().to_string().contains("ISO 8601"));
        assert!(parse_words("outbox replay --since 2026-11-02 --until 2026-11-01").is_err());
        assert!(parse_words("launch").is_err());
        assert!(parse_words("outbox prune --older-than soon").is_err());
    }

    #[test]
    fn durations_read_as_an_operator_writes_them() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_duration("36h").unwrap(), Duration::from_secs(36 * 3600));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        for bad in ["7", "d", "1w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
