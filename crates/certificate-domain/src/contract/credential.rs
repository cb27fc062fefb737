//! The contracts of the credential roles: `LearnerIdentity`,
//! `CredentialIssuance`, `IssuedLookup`, `CredentialRevocation` and
//! `CredentialVerification`, each run on every adapter that plays it.

use uuid::Uuid;

use super::request;
use crate::model::StatusSlot;
use crate::model::{IssuedCredential, RecordedCredential, VerdictStatus};
use crate::ports::{
    CredentialIssuance, CredentialRequest, CredentialRevocation, CredentialVerification, IssuedLookup, LearnerIdentity,
};

/// A learner is named, and named by something.
pub async fn check_learner_identity(identity: &dyn LearnerIdentity) {
    let learner = identity.learner_did(Uuid::new_v4()).await.expect("a learner's id");
    assert!(!learner.is_empty(), "a learner is named");
}

async fn issued(issuance: &dyn CredentialIssuance, issuance_id: Uuid) -> IssuedCredential {
    let request = request(Uuid::new_v4(), "course-a", false);
    let issue = CredentialRequest {
        learner_did: "did:contract:learner",
        request: &request,
        issued_on: "May 2026".into(),
        issuance_id,
        status: Some(CONTRACT_SLOT),
    };
    issuance.issue(issue).await.expect("an issued credential")
}

/// The status list entry every issuance of the contract is given.
const CONTRACT_SLOT: StatusSlot = StatusSlot { list: 3, index: 4711 };

/// Each issuance is a new credential whose id is the certificate id; an
/// issuer that publishes status lists names the entry it was given: in the
/// revocation list, then the suspension list where its format has room.
pub async fn check_credential_issuance(issuance: &dyn CredentialIssuance) {
    let issuance_id = Uuid::new_v4();
    let first = issued(issuance, issuance_id).await;
    assert_eq!(
        first.answer_json()["credential"]["id"],
        first.certificate_id.as_str(),
        "the credential's id is the certificate id"
    );
    if !first.status.is_empty() {
        let purposes: Vec<_> = first.status.iter().map(|entry| entry.purpose.as_deref()).collect();
        let both = [Some("revocation"), Some("suspension")];
        assert!(both.starts_with(&purposes) && !purposes.is_empty(), "revocation first: {purposes:?}");
        for entry in &first.status {
            assert_eq!(entry.list_index.as_deref(), Some("4711"), "the index it was given");
            let list = entry.list_credential.as_deref().unwrap_or_default();
            let purpose = entry.purpose.as_deref().unwrap();
            assert!(list.ends_with(&format!("{}-{purpose}", CONTRACT_SLOT.list)), "the list it was given: {list}");
        }
    }
    let again = issued(issuance, issuance_id).await;
    assert_ne!(again.certificate_id, first.certificate_id, "each issuance is a new credential");
}

/// What an issuance made is found again by its issuance id: the newest, in
/// the issue answer's shape; another issuance id finds nothing.
pub async fn check_issued_lookup(issuance: &dyn CredentialIssuance, lookup: &dyn IssuedLookup) {
    let issuance_id = Uuid::new_v4();
    assert!(lookup.find_issued(issuance_id).await.unwrap().is_none(), "nothing is issued under a new id");
    issued(issuance, issuance_id).await;
    let newer = issued(issuance, issuance_id).await;
    assert_eq!(lookup.find_issued(issuance_id).await.unwrap(), Some(newer), "the newest is found");
    assert!(lookup.find_issued(Uuid::new_v4()).await.unwrap().is_none(), "another issuance finds nothing");
}

/// Revoking is idempotent, and an unknown credential has nothing to revoke.
pub async fn check_credential_revocation(issuance: &dyn CredentialIssuance, revocation: &dyn CredentialRevocation) {
    let credential = issued(issuance, Uuid::new_v4()).await;
    revocation.revoke(&credential.certificate_id).await.unwrap();
    revocation.revoke(&credential.certificate_id).await.expect("revoking twice is fine");
    revocation.revoke("did:upai:unknown").await.expect("an unknown credential has nothing to revoke");
}

/// An issued credential is ISSUED, and REVOKED once revoked (through
/// `revocation`, and as recorded); an unknown id, or one that would reach
/// another route, is not found.
pub async fn check_credential_verification(
    issuance: &dyn CredentialIssuance,
    verification: &dyn CredentialVerification,
    revocation: &dyn CredentialRevocation,
) {
    let credential = issued(issuance, Uuid::new_v4()).await;
    let recorded = |revoked| RecordedCredential { credential: credential.clone(), revoked, suspended: false };
    let status = async |revoked| {
        let verdict = verification.verify(&credential.certificate_id, Some(&recorded(revoked))).await.unwrap();
        verdict.expect("an issued credential is known").status
    };
    assert_eq!(status(false).await, VerdictStatus::Issued);
    revocation.revoke(&credential.certificate_id).await.unwrap();
    assert_eq!(status(true).await, VerdictStatus::Revoked);
    assert!(verification.verify("did:upai:unknown", None).await.unwrap().is_none(), "an unknown credential");
    assert!(verification.verify("../issue?tags=x", None).await.unwrap().is_none(), "an id is one id, never a route");
}

/// Every role's contract, on an adapter that plays them all (a remote
/// issuer, or a fake of one).
pub async fn check_every_credential_role<A>(adapter: &A)
where
    A: LearnerIdentity + CredentialIssuance + IssuedLookup + CredentialRevocation + CredentialVerification,
{
    check_learner_identity(adapter).await;
    check_credential_issuance(adapter).await;
    check_issued_lookup(adapter, adapter).await;
    check_credential_revocation(adapter, adapter).await;
    check_credential_verification(adapter, adapter, adapter).await;
}
