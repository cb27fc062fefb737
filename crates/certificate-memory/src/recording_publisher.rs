use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{CertificatePublisher, PendingEvent, PublishError};

/// Keeps what it was sent; failures can be queued per event for tests.
#[derive(Default)]
pub struct RecordingPublisher {
    sent: Mutex<Vec<PendingEvent>>,
    failures: Mutex<VecDeque<PublishError>>,
}

impl RecordingPublisher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail_next(&self, error: PublishError, times: usize) {
        self.failures.lock().unwrap().extend(std::iter::repeat_n(error, times));
    }

    pub fn sent(&self) -> Vec<PendingEvent> {
        self.sent.lock().unwrap().clone()
    }
}

#[async_trait]
impl CertificatePublisher for RecordingPublisher {
    async fn publish(&self, events: &[PendingEvent]) -> Vec<Result<(), PublishError>> {
        events
            .iter()
            .map(|event| match self.failures.lock().unwrap().pop_front() {
                Some(error) => Err(error),
                None => {
                    self.sent.lock().unwrap().push(event.clone());
                    Ok(())
                }
            })
            .collect()
    }
}
