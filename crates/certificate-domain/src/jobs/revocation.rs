//! Revokes, at the credential service, the credentials that re-issues
//! superseded: queued with the re-issue's commit, retried with backoff until
//! the credential service confirms (a credential it no longer knows counts as
//! revoked).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::jobs::background::every;
use crate::jobs::RelayPolicy;
use crate::ports::{Clock, CredentialRevocation, Randomness, RevocationQueue, RevocationQueueError, SystemRandomness};

/// How long a taken revocation is left to its taker before another takes it.
const LEASE: Duration = Duration::from_secs(60);

pub struct RevocationDelivery {
    queue: Arc<dyn RevocationQueue>,
    revocation: Arc<dyn CredentialRevocation>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    /// Batch size and backoff; revocations never go to dead-letter.
    policy: RelayPolicy,
}

impl RevocationDelivery {
    pub fn new(
        queue: Arc<dyn RevocationQueue>,
        revocation: Arc<dyn CredentialRevocation>,
        clock: Arc<dyn Clock>,
        policy: RelayPolicy,
    ) -> Self {
        Self { queue, revocation, clock, randomness: Arc::new(SystemRandomness), policy }
    }

    /// Tries the due revocations once; returns how many were confirmed.
    pub async fn revoke_due(&self) -> Result<usize, RevocationQueueError> {
        let mut revoked = 0;
        for pending in self.queue.take_due(self.policy.batch_size, LEASE).await? {
            match self.revocation.revoke(&pending.certificate_id).await {
                Ok(()) => {
                    self.queue.revoked(pending.id).await?;
                    tracing::info!(certificate_id = %pending.certificate_id, "superseded credential revoked");
                    revoked += 1;
                }
                Err(error) => {
                    let delay = self.policy.backoff(pending.attempts + 1, self.randomness.jitter());
                    let retry_at =
                        self.clock.now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                    tracing::warn!(certificate_id = %pending.certificate_id, %error, "cannot revoke a superseded credential yet");
                    self.queue.failed(pending.id, &error.to_string(), retry_at).await?;
                }
            }
        }
        Ok(revoked)
    }

    /// Tries the due revocations every `interval` until `stop` says true.
    pub async fn run(&self, interval: Duration, stop: watch::Receiver<bool>) {
        every(interval, stop, async || {
            if let Err(error) = self.revoke_due().await {
                tracing::warn!(%error, "cannot read the revocation queue");
            }
        })
        .await
    }
}
