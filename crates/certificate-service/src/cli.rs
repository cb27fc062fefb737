//! The command line: `serve` (the default), `migrate`, and the outbox commands.

use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use certificate_domain::parse_iso8601;
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

configuration comes from the environment: see README.md";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Serve,
    Migrate,
    OutboxStatus,
    OutboxRetryDead,
    OutboxReplay {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// `None`: the configured retention.
    OutboxPrune {
        older_than: Option<Duration>,
    },
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let args: Vec<String> = args.into_iter().collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["migrate"] => Ok(Command::Migrate),
        ["outbox", "status"] => Ok(Command::OutboxStatus),
        ["outbox", "retry-dead"] => Ok(Command::OutboxRetryDead),
        ["outbox", "replay", options @ ..] => replay(options),
        ["outbox", "prune"] => Ok(Command::OutboxPrune { older_than: None }),
        ["outbox", "prune", "--older-than", age] => Ok(Command::OutboxPrune { older_than: Some(parse_duration(age)?) }),
        ["help" | "--help" | "-h"] => Ok(Command::Help),
        _ => bail!("unknown command: {}", args.join(" ")),
    }
}

/// A duration as an operator writes it: a whole number and a unit, `s`, `m`,
/// `h` or `d` (`7d`, `36h`).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let digits = text.trim_end_matches(char::is_alphabetic);
    let seconds_per_unit = match &text[digits.len()..] {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("'{text}' is not a duration such as 7d, 36h, 30m or 90s"),
    };
    let count: u64 = digits.parse().map_err(|_| anyhow!("'{text}' is not a duration such as 7d, 36h, 30m or 90s"))?;
    Ok(Duration::from_secs(count.saturating_mul(seconds_per_unit)))
}

fn replay(options: &[&str]) -> Result<Command> {
    let mut since = None;
    let mut until = None;
    for pair in options.chunks(2) {
        let value = |name: &str| {
            let raw = pair.get(1).ok_or_else(|| anyhow!("{name} needs a time"))?;
            parse_iso8601(raw).ok_or_else(|| anyhow!("{name} {raw}: not an ISO 8601 date or date-time"))
        };
        match pair[0] {
            "--since" => since = Some(value("--since")?),
            "--until" => until = Some(value("--until")?),
            other => bail!("unknown option {other}"),
        }
    }
    let since = since.ok_or_else(|| anyhow!("outbox replay needs --since"))?;
    let until = until.unwrap_or_else(Utc::now);
    if until <= since {
        bail!("--until must be after --since");
    }
    Ok(Command::OutboxReplay { since, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Command> {
        parse(words.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse_words("").unwrap(), Command::Serve);
        assert_eq!(parse_words("migrate").unwrap(), Command::Migrate);
        assert_eq!(parse_words("outbox status").unwrap(), Command::OutboxStatus);
        assert_eq!(
            parse_words("outbox replay --since 2026-11-01 --until 2026-11-02T00:00:00Z").unwrap(),
            Command::OutboxReplay {
                since: "2026-11-01T00:00:00Z".parse().unwrap(),
                until: "2026-11-02T00:00:00Z".parse().unwrap()
            }
        );
        assert_eq!(parse_words("outbox prune").unwrap(), Command::OutboxPrune { older_than: None });
        assert_eq!(
            parse_words("outbox prune --older-than 2d").unwrap(),
            Command::OutboxPrune { older_than: Some(Duration::from_secs(2 * 86_400)) }
        );
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
