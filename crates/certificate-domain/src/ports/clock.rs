//! `Clock`: the current time.

use chrono::{DateTime, Utc};

/// The current time, injected so that tests can fix it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
