use std::sync::Mutex;

use certificate_domain::model::{RowOutcome, WalletProtocol};
use certificate_domain::ports::{IssuanceOutcome, Observer};
use certificate_domain::Standing;

/// Keeps how each issuance ended.
#[derive(Default)]
pub struct RecordingObserver {
    outcomes: Mutex<Vec<IssuanceOutcome>>,
}

impl RecordingObserver {
    pub fn outcomes(&self) -> Vec<IssuanceOutcome> {
        self.outcomes.lock().unwrap().clone()
    }
}

impl Observer for RecordingObserver {
    fn issuance_ended(&self, outcome: IssuanceOutcome) {
        self.outcomes.lock().unwrap().push(outcome);
    }

    /// Counts issuances only: no test of a use case observes standings, wallets or jobs.
    fn standing_changed(&self, _to: Standing) {}

    fn wallet_offered(&self) {}

    fn wallet_copy_taken(&self, _protocol: WalletProtocol) {}

    fn bulk_job_accepted(&self, _rows: usize) {}

    fn bulk_row_ended(&self, _outcome: &RowOutcome) {}

    fn bulk_row_retried(&self) {}
}
