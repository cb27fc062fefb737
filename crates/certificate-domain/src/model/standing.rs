//! What became of a certificate after its issue: active, suspended
//! (reversible) or revoked (final), with the operator's reason.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    Active,
    Suspended,
    Revoked,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Active => "active",
            Standing::Suspended => "suspended",
            Standing::Revoked => "revoked",
        }
    }

    /// A stored name; anything else is no standing this service records.
    pub fn from_name(name: &str) -> Option<Self> {
        [Standing::Active, Standing::Suspended, Standing::Revoked].into_iter().find(|s| s.as_str() == name)
    }
}

/// A certificate's standing as recorded; an active certificate that never
/// changed has no reason and no time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingRecord {
    pub standing: Standing,
    pub reason: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

impl StandingRecord {
    pub const ACTIVE: Self = Self { standing: Standing::Active, reason: None, changed_at: None };
}
