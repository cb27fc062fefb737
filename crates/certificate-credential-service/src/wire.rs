//! Sunbird RC's shapes on the wire: the request bodies of docs/contract.md
//! to the letter, the answers read back (a DID, a credential, a verdict),
//! and the URLs the calls go to.

use certificate_domain::ports::{cause, cause_from, issuance_tag, CredentialRequest, Upstream, UpstreamError};
use certificate_domain::{Checks, IssuedCredential, Verdict, VerdictStatus};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::UpstreamConfig;

pub(crate) fn invalid(upstream: Upstream, reason: &str) -> UpstreamError {
    UpstreamError::InvalidResponse { upstream, source: cause_from(reason) }
}

/// The identity service's request body for one learner.
pub fn did_request_body(user_id: Uuid) -> Value {
    json!({"content": [{
        "alsoKnownAs": [user_id.to_string()],
        "services": [{
            "id": "IdentityHub", "type": "IdentityHub",
            "serviceEndpoint": {
                "@context": "schema.identity.foundation/hub",
                "@type": "UserServiceEndpoint",
                "instance": ["did:test:hub.id"]
            }
        }],
        "method": "upai"
    }]})
}

/// The credential service's request body, filled from the configuration.
pub fn credential_request_body(config: &UpstreamConfig, credential: &CredentialRequest<'_>) -> Value {
    let request = credential.request;
    json!({
        "credential": {
            "@context": ["https://www.w3.org/2018/credentials/v1", config.verification_schema_url],
            "type": ["VerifiableCredential", config.verification_schema_name],
            "issuer": config.certificate_issuer_did,
            "issuanceDate": request.issuance_date(),
            "expirationDate": request.expiration_date(),
            "credentialSubject": {
                "id": credential.learner_did,
                "type": config.verification_schema_name,
                "firstName": request.first_name(),
                "middleName": request.middle_name().unwrap_or(""),
                "lastName": request.last_name(),
                "userId": request.user_id(),
                "courseId": request.course_id(),
                "courseName": request.course_name(),
                "issuedOn": credential.issued_on,
                "certificateId": "**Id**"
            }
        },
        "credentialSchemaId": config.schema_id,
        "credentialSchemaVersion": "1.0.0",
        "tags": [issuance_tag(credential.issuance_id)]
    })
}

pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

pub(crate) fn first_did(answer: &Value) -> Result<String, UpstreamError> {
    answer[0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid(Upstream::Identity, "expected a JSON array whose first element has a string \"id\""))
}

/// Sunbird RC's verdict, `{"status": "ISSUED", "checks": [{"active": "OK",
/// "revoked": "OK", "expired": "OK", "proof": "OK"}]}`: a check passes when
/// every object of `checks` that names it says `OK`, and fails when one says
/// otherwise or none names it.
pub(crate) fn verdict(answer: &Value) -> Result<Verdict, UpstreamError> {
    let status = answer["status"]
        .as_str()
        .ok_or_else(|| invalid(Upstream::Credential, "expected a JSON object with a string status"))?;
    let checks: &[Value] = answer["checks"].as_array().map_or(&[], Vec::as_slice);
    let passes = |name: &str| {
        let named: Vec<&Value> = checks.iter().filter_map(|check| check.get(name)).collect();
        !named.is_empty() && named.iter().all(|said| *said == "OK")
    };
    let checks = Checks {
        active: passes("active"),
        not_revoked: passes("revoked"),
        not_expired: passes("expired"),
        proof: passes("proof"),
    };
    Ok(Verdict { status: VerdictStatus::from_name(status), checks })
}

/// A caller's id as one path segment: it cannot reach another route of the
/// credential service (`../issue`, `?tags=`).
pub(crate) fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The credential service's answer, `{"credential": {"id": ...}}`, as the
/// credential it records, its text kept as it came.
pub(crate) fn issued(answer: String) -> Result<IssuedCredential, UpstreamError> {
    IssuedCredential::read(answer)
        .map_err(|error| UpstreamError::InvalidResponse { upstream: Upstream::Credential, source: cause(error) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_stays_one_path_segment() {
        assert_eq!(path_segment("did:upai:cert-1_a.b~c"), "did:upai:cert-1_a.b~c");
        assert_eq!(path_segment("../issue?tags=x#y"), "..%2Fissue%3Ftags%3Dx%23y");
        assert_eq!(join_url("http://rc/", "/credentials/x"), "http://rc/credentials/x");
    }
}
