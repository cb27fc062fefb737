//! `Randomness`: ids and retry jitter.

use uuid::Uuid;

/// Ids (events, issuances) and retry jitter, injected like the clock so that
/// tests can fix them.
pub trait Randomness: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
    /// A fraction in `[0, 1)`, spreading retries so that replicas do not retry in step.
    fn jitter(&self) -> f64;
}

/// Random v4 event ids and jitter from the thread's generator.
pub struct SystemRandomness;

impl Randomness for SystemRandomness {
    fn new_id(&self) -> Uuid {
        Uuid::new_v4()
    }

    fn jitter(&self) -> f64 {
        rand::random()
    }
}
