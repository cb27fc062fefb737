//! The command line, a driving adapter like the HTTP one: `serve` (the
//! default), `migrate`, and the outbox commands, which it runs through the
//! domain's `OutboxAdmin` port and `Retention`. It promises a usage error
//! naming what is wrong, and output an operator can read.

use std::time::Duration;

use certificate_domain::ports::{AdminError, OutboxAdmin};
use certificate_domain::{parse_iso8601, Retention};
use chrono::{DateTime, Utc};

pub const USAGE: &str = "usage: certificate-service [COMMAND]

commands:
  serve                                   serve HTTP and relay events (the default)
  migrate                                 apply pending database migrations and exit
  outbox status                           pending and dead events, age of the oldest pending
  outbox retry-dead                       make every dead-lettered event due again
  outbox replay --since T [--until T]     republish the events created in [T, T') with their ids
                                          (T in ISO 8601; --until defaults to now)
  outbox prune [--older-than D]           delete published events, released claims and idempotency
                                          keys older than D (7d, 36h, ...; default OUTBOX_RETENTION);
                                          dead events are kept

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    Migrate,
    Outbox(OutboxCommand),
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
                "pruned before {}: {} published events, {} released claims, {} idempotency keys; dead events kept",
                retention.horizon(),
                pruned.events,
                pruned.claims,
                pruned.idempotency_keys
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
            Invocation::Help => panic!("{words}: the usage text, not a command"),
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
