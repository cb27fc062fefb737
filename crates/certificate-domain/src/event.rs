//! The `COURSE_STATUS_UPDATED` event that downstream consumers already parse.
//! Every field and name of the payload in docs/contract.md is kept; `eventId` is added so
//! that consumers can deduplicate an at-least-once delivery.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::IssueRequest;

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
struct Envelope<'a> {
    event_id: Uuid,
    event_type: &'static str,
    timestamp: String,
    data: Data<'a>,
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

impl CertificateEvent {
    pub fn certificate_issued(
        request: &IssueRequest,
        certificate_id: &str,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Self {
        let envelope = Envelope {
            event_id,
            event_type: EVENT_TYPE,
            timestamp: now.to_rfc3339_opts(SecondsFormat::Millis, true),
            data: Data {
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
            },
        };
        Self {
            event_id,
            user_id: request.user_id(),
            key: request.course_id().to_owned(),
            payload: serde_json::to_string(&envelope).expect("a plain struct always serialises"),
            created_at: now,
            due_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IssueRequest;
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
