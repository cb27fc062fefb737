use std::sync::Mutex;

use async_trait::async_trait;
use certificate_domain::ports::{IssuanceOutcome, Observer, Report, ServedRequest};

/// Keeps how each issuance ended and which statuses were served; its report
/// lists the outcomes, one per line.
#[derive(Default)]
pub struct RecordingObserver {
    outcomes: Mutex<Vec<IssuanceOutcome>>,
    statuses: Mutex<Vec<u16>>,
}

impl RecordingObserver {
    pub fn outcomes(&self) -> Vec<IssuanceOutcome> {
        self.outcomes.lock().unwrap().clone()
    }

    pub fn statuses(&self) -> Vec<u16> {
        self.statuses.lock().unwrap().clone()
    }
}

#[async_trait]
impl Observer for RecordingObserver {
    fn request_served(&self, request: ServedRequest<'_>) {
        self.statuses.lock().unwrap().push(request.status);
    }

    fn issuance_ended(&self, outcome: IssuanceOutcome) {
        self.outcomes.lock().unwrap().push(outcome);
    }

    async fn report(&self) -> Report {
        let lines: Vec<&str> = self.outcomes().into_iter().map(IssuanceOutcome::as_str).collect();
        Report { content_type: "text/plain", body: lines.join("\n") }
    }
}
