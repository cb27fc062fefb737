//! The earlier credential (`CREDENTIAL_FORMAT=course-certificate`): type
//! `CourseCertificate`, the request's fields as its subject under the names
//! of the Sunbird RC credential request (docs/contract.md). Its terms are
//! not in any context, so it is signed with `eddsa-jcs-2022`, which reads
//! no JSON-LD.

use certificate_domain::ports::CredentialRequest;
use serde_json::{json, Value};

use crate::contexts::CREDENTIALS_V2;

pub(crate) const CREDENTIAL_TYPE: &str = "CourseCertificate";

/// The unsigned credential, without its status.
pub(crate) fn course_certificate(
    request: &CredentialRequest<'_>,
    issuer_did: &str,
    id: &str,
    dates: [String; 2],
) -> Value {
    let fields = request.request;
    let [valid_from, valid_until] = dates;
    json!({
        "@context": [CREDENTIALS_V2],
        "id": id,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_did,
        "validFrom": valid_from,
        "validUntil": valid_until,
        "credentialSubject": {
            "id": request.learner_did,
            "type": CREDENTIAL_TYPE,
            "firstName": fields.first_name(),
            "middleName": fields.middle_name().unwrap_or(""),
            "lastName": fields.last_name(),
            "userId": fields.user_id(),
            "courseId": fields.course_id(),
            "courseName": fields.course_name(),
            "issuedOn": request.issued_on,
        },
    })
}
