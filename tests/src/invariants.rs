//! The invariants every reliability test checks, whatever it breaks:
//! every 2xx answer has its event in the topic (duplicates only as the same
//! `eventId`); no event for an issuance that did not happen; at most one
//! credential per (userId, courseId) unless re-issued.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use upstream_fake::CREDENTIAL_PATH;

use crate::{consume, contract_body, Answer, Stack, TestApp};

/// Requests sent so far and their answers.
pub type Answers = Vec<(Value, Answer)>;

/// Which course the requests of a stream are for.
#[derive(Debug, Clone)]
pub enum Courses {
    /// A new course for every request: every event has a key of its own.
    Fresh,
    /// One course for every request, as with a cohort or a popular course:
    /// every event has the same key.
    One(String),
}

impl Courses {
    /// A course of its own for this test, that every request is for.
    pub fn hot() -> Self {
        Courses::One(format!("do_hot_{}", uuid::Uuid::new_v4().simple()))
    }

    /// A fresh learner's request for a course of this kind.
    pub fn body(&self) -> Value {
        let mut body = contract_body();
        if let Courses::One(course) = self {
            body["courseId"] = Value::from(course.as_str());
        }
        body
    }
}

/// Sends `count` fresh issuances, `concurrency` at a time; `done` counts answers.
pub async fn issue_stream(app: Arc<TestApp>, count: usize, concurrency: usize, done: Arc<AtomicUsize>) -> Answers {
    issue_stream_of(app, Courses::Fresh, count, concurrency, done).await
}

/// Sends `count` issuances of fresh learners for `courses`, `concurrency` at
/// a time; `done` counts answers.
pub async fn issue_stream_of(
    app: Arc<TestApp>,
    courses: Courses,
    count: usize,
    concurrency: usize,
    done: Arc<AtomicUsize>,
) -> Answers {
    let mut workers = Vec::new();
    let next = Arc::new(AtomicUsize::new(0));
    for _ in 0..concurrency {
        let (app, next, done, courses) = (app.clone(), next.clone(), done.clone(), courses.clone());
        workers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while next.fetch_add(1, Ordering::SeqCst) < count {
                let body = courses.body();
                let answer = app.issue(&body).await;
                done.fetch_add(1, Ordering::SeqCst);
                answers.push((body, answer));
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    answers
}

/// Waits until `done` reaches `count`.
pub async fn wait_until(done: &AtomicUsize, count: usize) {
    let started = Instant::now();
    while done.load(Ordering::SeqCst) < count {
        assert!(started.elapsed() < Duration::from_secs(60), "the stream stalled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the outbox has no undelivered event; returns how long that took.
pub async fn wait_for_drained_outbox(stack: &Stack) -> Duration {
    let started = Instant::now();
    let undelivered = "SELECT count(*) FROM certificate_outbox_pending";
    while stack.database.count(undelivered).await > 0 {
        if started.elapsed() > Duration::from_secs(90) {
            let stuck = stack
                .database
                .query(
                    "SELECT format('%s key=%s attempts=%s next=%s error=%s', id, message_key, attempts, \
                     next_attempt_at, last_error) FROM certificate_outbox_pending ORDER BY id LIMIT 5",
                )
                .await;
            let stuck: Vec<String> = stuck.iter().map(|row| row.get(0)).collect();
            panic!("the outbox did not drain: {stuck:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

fn certificate_id(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_default()
}

/// Checks the invariants once the outbox has drained; returns the number of
/// distinct events in the topic.
pub async fn assert_invariants(stack: &Stack, brokers: &str, answers: &Answers) -> usize {
    wait_for_drained_outbox(stack).await;
    let rows: HashSet<String> = stack
        .database
        .query(r#"SELECT "certificateId" FROM user_course_certificate WHERE status = 'viewCertificate'"#)
        .await
        .iter()
        .map(|row| row.get(0))
        .collect();
    let records = consume(brokers, &stack.topic, rows.len(), Duration::from_secs(2), Duration::from_secs(60));

    let mut by_event_id: HashMap<String, &Value> = HashMap::new();
    for record in &records {
        let event_id = certificate_id(&record.value["eventId"]);
        if let Some(earlier) = by_event_id.insert(event_id.clone(), &record.value) {
            assert_eq!(earlier, &record.value, "a duplicate of {event_id} differs");
        }
    }
    let published: HashSet<String> =
        by_event_id.values().map(|event| certificate_id(&event["data"]["certificateId"])).collect();

    for (_, answer) in answers.iter().filter(|(_, answer)| answer.status == 200) {
        let id = certificate_id(&answer.body["data"]["credential"]["id"]);
        assert!(published.contains(&id), "a 200 answer ({id}) has no event in the topic");
    }
    assert_eq!(published, rows, "events and recorded certificates differ");

    let mut credentials: HashMap<(String, String), usize> = HashMap::new();
    for request in stack.upstreams.received().iter().filter(|r| r.path == CREDENTIAL_PATH) {
        let subject = &request.body["credential"]["credentialSubject"];
        *credentials.entry((certificate_id(&subject["userId"]), certificate_id(&subject["courseId"]))).or_default() +=
            1;
    }
    if let Some((key, count)) = credentials.iter().find(|(_, count)| **count > 1) {
        panic!("{count} credential requests for {key:?}");
    }
    by_event_id.len()
}
