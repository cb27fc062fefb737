//! The `COURSE_STATUS_UPDATED` event that downstream consumers already parse.
//! Every field and name of the payload in docs/contract.md is kept; `eventId` is added so
//! that consumers can deduplicate an at-least-once delivery. Since schema
//! 2.0.0 (schemas/course-status-updated.schema.json) a certificate's later
//! changes of standing go out on the same topic and key: `data.eventType`
//! `CERTIFICATE_REVOKED`, `CERTIFICATE_SUSPENDED` or `CERTIFICATE_REINSTATED`,
//! `data.status` what the certificate is now, and the operator's `reason`.
//! Since 2.1.0 a learner's wallet taking its copy is `CERTIFICATE_CLAIMED`,
//! with the holder's DID and the protocol (never the offer: it is a secret).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::model::IssueRequest;
use crate::model::{IssuedCredential, Standing, WalletCopy, WalletProtocol};

pub const EVENT_TYPE: &str = "COURSE_STATUS_UPDATED";
pub const STATUS_VIEW_CERTIFICATE: &str = "viewCertificate";
const DATA_EVENT_TYPE: &str = "CERTIFICATE_ISSUED";

/// An event ready to be stored in the outbox and sent: its id, its partition
/// key (`courseId`) and its serialised JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateEvent {
    pub event_id: Uuid,
    pub user_id: Uuid,
    pub key: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    /// From when the outbox poller may take it; until then it is left to the
    /// relay of the process that recorded it (see `HandOff`).
    pub due_at: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<D> {
    event_id: Uuid,
    event_type: &'static str,
    timestamp: String,
    data: D,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    user_id: Uuid,
    course_id: &'a str,
    course_name: &'a str,
    certificate_id: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    issuance_date: &'a str,
    expiration_date: &'a str,
    status: &'static str,
    event_type: &'static str,
}

/// A change of standing: what consumers need to find the certificate
/// (learner, course, certificate id), what it is now, and why.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StandingData<'a> {
    user_id: Uuid,
    course_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    course_name: Option<&'a str>,
    certificate_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<&'a str>,
    status: &'static str,
    event_type: &'static str,
    reason: &'a str,
}

/// A wallet took its copy of the certificate.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClaimedData<'a> {
    user_id: Uuid,
    course_id: &'a str,
    certificate_id: &'a str,
    status: &'static str,
    event_type: &'static str,
    holder: &'a str,
    copy_id: Uuid,
    protocol: &'static str,
}

/// `data.status` and `data.eventType` of a change to `standing`.
fn standing_names(standing: Standing) -> (&'static str, &'static str) {
    match standing {
        Standing::Revoked => ("revoked", "CERTIFICATE_REVOKED"),
        Standing::Suspended => ("suspended", "CERTIFICATE_SUSPENDED"),
        Standing::Active => (STATUS_VIEW_CERTIFICATE, "CERTIFICATE_REINSTATED"),
    }
}

/// Why a credential cannot be named in an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the recorded credential names no userId (a UUID) and courseId in its subject")]
pub struct NoLearnerOrCourse;

/// The learner (a UUID) and the course the credential's subject names.
fn learner_and_course(credential: &IssuedCredential) -> Result<(Uuid, &str), NoLearnerOrCourse> {
    let subject = &credential.subject;
    let user_id = subject.user_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()).ok_or(NoLearnerOrCourse)?;
    let course_id = subject.course_id.as_deref().filter(|id| !id.is_empty()).ok_or(NoLearnerOrCourse)?;
    Ok((user_id, course_id))
}

impl CertificateEvent {
    /// The event of a change of the certificate of `credential` to
    /// `standing`; keyed by its course, as its issue event was.
    pub fn standing_changed(
        credential: &IssuedCredential,
        standing: Standing,
        reason: &str,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Self, NoLearnerOrCourse> {
        let subject = &credential.subject;
        let (user_id, course_id) = learner_and_course(credential)?;
        let (status, event_type) = standing_names(standing);
        let data = StandingData {
            user_id,
            course_id,
            course_name: subject.course_name.as_deref(),
            certificate_id: &credential.certificate_id,
            first_name: subject.first_name.as_deref(),
            last_name: subject.last_name.as_deref(),
            status,
            event_type,
            reason,
        };
        Ok(Self::on_course(user_id, course_id, data, event_id, now))
    }

    /// The event of `copy` of the certificate of `credential` taken by a
    /// wallet; keyed by its course, as its issue event was.
    pub fn certificate_claimed(
        credential: &IssuedCredential,
        copy: &WalletCopy,
        protocol: WalletProtocol,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Self, NoLearnerOrCourse> {
        let (user_id, course_id) = learner_and_course(credential)?;
        let data = ClaimedData {
            user_id,
            course_id,
            certificate_id: &credential.certificate_id,
            status: STATUS_VIEW_CERTIFICATE,
            event_type: "CERTIFICATE_CLAIMED",
            holder: &copy.holder,
            copy_id: copy.id,
            protocol: protocol.as_str(),
        };
        Ok(Self::on_course(user_id, course_id, data, event_id, now))
    }

    fn on_course(user_id: Uuid, course_id: &str, data: impl Serialize, event_id: Uuid, now: DateTime<Utc>) -> Self {
        let envelope = Envelope {
            event_id,
            event_type: EVENT_TYPE,
            timestamp: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            data,
        };
        Self {
            event_id,
            user_id,
            key: course_id.to_owned(),
            payload: serde_json::to_string(&envelope).expect("a plain struct always serialises"),
            created_at: now,
            due_at: now,
        }
    }

    pub fn certificate_issued(
        request: &IssueRequest,
        certificate_id: &str,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Self {
        let data = Data {
            user_id: request.user_id(),
            course_id: request.course_id(),
            course_name: request.course_name(),
            certificate_id,
            first_name: request.first_name(),
            last_name: request.last_name(),
            issuance_date: request.issuance_date(),
            expiration_date: request.expiration_date(),
            status: STATUS_VIEW_CERTIFICATE,
            event_type: DATA_EVENT_TYPE,
        };
        Self::on_course(request.user_id(), request.course_id(), data, event_id, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IssueRequest;
    use serde_json::{json, Value};

    #[test]
    fn the_payload_has_the_contracts_shape_plus_an_event_id() {
        let fields = serde_json::from_value(json!({
            "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_2",
            "courseName": "Intro", "firstName": "John", "lastName": "Doe",
            "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13T00:00:00.000Z"
        }))
        .unwrap();
        let request = IssueRequest::parse(fields).unwrap();
        let now = "2025-10-13T10:30:00Z".parse().unwrap();
        let event = CertificateEvent::certificate_issued(&request, "did:upai:cert1", Uuid::new_v4(), now);
        let value: Value = serde_json::from_str(&event.payload).unwrap();
        assert_eq!(
            value,
            json!({
                "eventId": event.event_id.to_string(),
                "eventType": "COURSE_STATUS_UPDATED",
                "timestamp": "2025-10-13T10:30:00.000Z",
                "data": {
                    "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_2",
                    "courseName": "Intro", "certificateId": "did:upai:cert1",
                    "firstName": "John", "lastName": "Doe",
                    "issuanceDate": "2025-10-13T00:00:00.000Z",
                    "expirationDate": "2026-10-13T00:00:00.000Z",
                    "status": "viewCertificate", "eventType": "CERTIFICATE_ISSUED"
                }
            })
        );
        assert_eq!(event.key, "do_2");
    }
}
