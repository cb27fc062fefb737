use certificate_domain::ports::Clock;
use chrono::{DateTime, Utc};

/// A clock that always says the same time.
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
