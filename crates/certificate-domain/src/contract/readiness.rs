//! The `ReadinessCheck` contract: the readiness probe answers in time
//! whatever its dependency does, so that an orchestrator takes a replica
//! out of traffic when a dependency is away, and back when it answers.

use std::time::{Duration, Instant};

use crate::ports::{NotReady, ReadinessCheck};

/// What a probe may take: the readiness probe of
/// deploy/kubernetes/deployment.yaml gives up after 3 s (`timeoutSeconds`),
/// and the readiness answer runs every check at once.
const IN_TIME: Duration = Duration::from_secs(3);

/// Runs the check on two checks of one adapter: `ready`, whose dependency
/// answers, and `away`, whose dependency is unreachable. The first is ready;
/// the second says it is not (unreachable or late), within a bound; both
/// give the same name, which the readiness answer shows.
pub async fn check_readiness(ready: &dyn ReadinessCheck, away: &dyn ReadinessCheck) {
    assert!(!ready.name().is_empty() && ready.name() == away.name(), "one name per dependency");
    let started = Instant::now();
    let answer = ready.check().await;
    assert!(answer.is_ok(), "{} answers, so it is ready: {answer:?}", ready.name());
    assert!(started.elapsed() < IN_TIME, "ready in {:?}", started.elapsed());

    let started = Instant::now();
    let answer = away.check().await;
    let elapsed = started.elapsed();
    assert!(
        matches!(answer, Err(NotReady::Unreachable(_) | NotReady::Timeout(_))),
        "{} is away, so not ready: {answer:?}",
        away.name()
    );
    assert!(elapsed < IN_TIME, "an unreachable {} is said within {IN_TIME:?}, not {elapsed:?}", away.name());
}
