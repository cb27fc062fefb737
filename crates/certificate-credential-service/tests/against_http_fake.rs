//! The adapter against a real HTTP server faking both upstreams, each check
//! once per HTTP client (reqwest and ureq).

use std::time::Duration;

use certificate_credential_service::{HttpCredentialIssuer, UpstreamClient, UpstreamConfig};
use certificate_domain::contract::check_every_credential_role;
use certificate_domain::ports::{
    CredentialDesign, CredentialIssuance, CredentialRendering, CredentialRequest, CredentialRevocation,
    GeneratedIdentity, IssuedLookup, LearnerIdentity, Refusal, RevocationError, Upstream, UpstreamError,
};
use certificate_domain::{IssueRequest, RequestFields};
use serde_json::json;
use upstream_fake::{Behaviour, FakeUpstreams, CREDENTIAL_PATH, DID_PATH, SCHEMA_PATH, TEMPLATE_PATH};
use uuid::Uuid;

fn issuer_for(base_url: &str, client: UpstreamClient) -> HttpCredentialIssuer {
    HttpCredentialIssuer::new(UpstreamConfig {
        identity_base_url: base_url.to_owned(),
        credentials_base_url: format!("{base_url}/"),
        schema_base_url: Some(base_url.to_owned()),
        verification_schema_url: "https://schema.example/v1".into(),
        verification_schema_name: "CourseCertificate".into(),
        certificate_issuer_did: "did:upai:issuer".into(),
        schema_id: "schema-1".into(),
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_millis(700),
        retries: 1,
        client,
    })
}

fn request() -> IssueRequest {
    let raw: RequestFields = serde_json::from_value(json!({
        "userId": "af771398-bc1a-4350-b849-907561d25957", "courseId": "do_1",
        "courseName": "Intro", "firstName": "John", "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2026-10-13T00:00:00.000Z"
    }))
    .unwrap();
    IssueRequest::parse(raw).unwrap()
}

async fn both_calls_send_the_contracts_bodies_and_read_the_answers(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    let issuer = issuer_for(&fake.base_url(), client);
    let request = request();
    let did = issuer.learner_did(request.user_id()).await.unwrap();
    assert!(did.starts_with("did:upai:"));
    let issuance_id = Uuid::parse_str("0b5f3c1e-4d9a-4f8e-9a51-7c2d1e6b3a90").unwrap();
    let credential = issuer
        .issue(CredentialRequest {
            learner_did: &did,
            request: &request,
            issued_on: "November 2026".into(),
            issuance_id,
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(credential.answer_json()["credential"]["id"], credential.certificate_id.as_str());

    let received = fake.received();
    assert_eq!(received[0].path, DID_PATH);
    assert_eq!(
        received[0].body,
        json!({"content": [{
            "alsoKnownAs": ["af771398-bc1a-4350-b849-907561d25957"],
            "services": [{"id": "IdentityHub", "type": "IdentityHub",
                "serviceEndpoint": {"@context": "schema.identity.foundation/hub",
                    "@type": "UserServiceEndpoint", "instance": ["did:test:hub.id"]}}],
            "method": "upai"
        }]})
    );
    assert_eq!(received[1].path, CREDENTIAL_PATH);
    assert_eq!(
        received[1].body,
        json!({
            "credential": {
                "@context": ["https://www.w3.org/2018/credentials/v1", "https://schema.example/v1"],
                "type": ["VerifiableCredential", "CourseCertificate"],
                "issuer": "did:upai:issuer",
                "issuanceDate": "2025-10-13T00:00:00.000Z",
                "expirationDate": "2026-10-13T00:00:00.000Z",
                "credentialSubject": {
                    "id": did, "type": "CourseCertificate",
                    "firstName": "John", "middleName": "", "lastName": "Doe",
                    "userId": "af771398-bc1a-4350-b849-907561d25957",
                    "courseId": "do_1", "courseName": "Intro",
                    "issuedOn": "November 2026", "certificateId": "**Id**"
                }
            },
            "credentialSchemaId": "schema-1",
            "credentialSchemaVersion": "1.0.0",
            "tags": ["issuance:0b5f3c1e-4d9a-4f8e-9a51-7c2d1e6b3a90"]
        })
    );
}

async fn the_adapter_keeps_the_credential_issuer_contract_against_the_fake(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    check_every_credential_role(&issuer_for(&fake.base_url(), client)).await;
}

async fn a_failed_lookup_is_an_upstream_error_and_a_stalled_one_times_out(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    let issuer = issuer_for(&fake.base_url(), client);
    fake.set_lookup(Behaviour::Status(500));
    let error = issuer.find_issued(Uuid::new_v4()).await.unwrap_err();
    assert!(
        matches!(error, UpstreamError::Refused { upstream: Upstream::Credential, ref answer, refusal: Refusal::Other } if answer == "HTTP 500"),
        "{error:?}"
    );
    fake.set_lookup(Behaviour::Stall(Duration::from_secs(3)));
    let error = issuer.find_issued(Uuid::new_v4()).await.unwrap_err();
    assert!(matches!(error, UpstreamError::Timeout { upstream: Upstream::Credential }), "{error:?}");
    assert_eq!(fake.lookup_calls(), 3, "a lookup that timed out is tried again: it changes nothing");
}

async fn a_refused_revocation_is_an_upstream_error(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    fake.set_revoke(Behaviour::Status(500));
    let error = issuer_for(&fake.base_url(), client).revoke("did:upai:cert1").await.unwrap_err();
    assert!(
        matches!(error, RevocationError::Upstream(UpstreamError::Refused { upstream: Upstream::Credential, ref answer, refusal: Refusal::Other }) if answer == "HTTP 500"),
        "{error:?}"
    );
}

async fn did_error(client: UpstreamClient, behaviour: Behaviour) -> (UpstreamError, u64) {
    let fake = FakeUpstreams::start();
    fake.set_identity(behaviour);
    let error = issuer_for(&fake.base_url(), client).learner_did(Uuid::new_v4()).await.unwrap_err();
    (error, fake.did_calls())
}

async fn an_error_status_is_rejected_and_a_500_is_not_retried(client: UpstreamClient) {
    let (error, calls) = did_error(client, Behaviour::Status(500)).await;
    assert!(
        matches!(error, UpstreamError::Refused { upstream: Upstream::Identity, ref answer, refusal: Refusal::Other } if answer == "HTTP 500"),
        "{error:?}"
    );
    assert_eq!(calls, 1);
}

async fn a_503_is_retried_within_the_bound(client: UpstreamClient) {
    let (error, calls) = did_error(client, Behaviour::Status(503)).await;
    assert!(
        matches!(error, UpstreamError::Refused { upstream: Upstream::Identity, ref answer, refusal: Refusal::ByGateway } if answer == "HTTP 503"),
        "{error:?}"
    );
    assert_eq!(calls, 2);
}

async fn a_stalled_service_times_out(client: UpstreamClient) {
    let (error, _) = did_error(client, Behaviour::Stall(Duration::from_secs(3))).await;
    assert!(matches!(error, UpstreamError::Timeout { upstream: Upstream::Identity }), "{error:?}");
}

async fn garbage_is_an_invalid_response(client: UpstreamClient) {
    let (error, _) = did_error(client, Behaviour::Garbage).await;
    assert!(matches!(error, UpstreamError::InvalidResponse { upstream: Upstream::Identity, .. }), "{error:?}");
}

async fn a_closed_port_is_unreachable(client: UpstreamClient) {
    let (_held, address) = upstream_fake::refusing_address();
    let error = issuer_for(&format!("http://{address}"), client).learner_did(Uuid::new_v4()).await.unwrap_err();
    assert!(matches!(error, UpstreamError::Unreachable { upstream: Upstream::Identity, .. }), "{error:?}");
}

/// The issue call's error under `behaviour`, with how often it was sent and
/// how many credentials the fake then holds.
async fn issue_error(client: UpstreamClient, behaviour: Behaviour) -> (UpstreamError, u64, usize) {
    let fake = FakeUpstreams::start();
    fake.set_credentials(behaviour);
    let request = request();
    let sent = CredentialRequest {
        learner_did: "did:upai:learner",
        request: &request,
        issued_on: "November 2026".into(),
        issuance_id: Uuid::new_v4(),
        status: None,
    };
    let error = issuer_for(&fake.base_url(), client).issue(sent).await.unwrap_err();
    (error, fake.credential_calls(), fake.credentials_per_tag().values().sum())
}

async fn an_issue_call_whose_connection_dropped_after_issuing_is_not_sent_again(client: UpstreamClient) {
    let (error, calls, held) = issue_error(client, Behaviour::IssueThenDrop).await;
    assert!(matches!(error, UpstreamError::AnswerLost { upstream: Upstream::Credential, .. }), "{error:?}");
    assert!(error.outcome_unknown() && error.worth_looking_up_at_once());
    assert_eq!((calls, held), (1, 1), "one call, one credential");
}

async fn an_issue_call_answered_by_a_gateway_error_is_not_sent_again(client: UpstreamClient) {
    for (behaviour, status) in
        [(Behaviour::IssueThenStatus(502), 502), (Behaviour::Status(503), 503), (Behaviour::Status(504), 504)]
    {
        let (error, calls, _) = issue_error(client, behaviour).await;
        assert!(
            matches!(error, UpstreamError::Refused { ref answer, refusal: Refusal::ByGateway, .. } if *answer == format!("HTTP {status}")),
            "{error:?}"
        );
        assert!(error.outcome_unknown(), "a gateway may have forwarded it");
        assert_eq!(calls, 1, "{behaviour:?}");
    }
}

async fn an_issue_call_that_timed_out_or_was_unreadable_is_not_sent_again(client: UpstreamClient) {
    let (error, calls, _) = issue_error(client, Behaviour::IssueThenStall(Duration::from_secs(3))).await;
    assert!(matches!(error, UpstreamError::Timeout { .. }), "{error:?}");
    assert_eq!(calls, 1);
    let (error, calls, _) = issue_error(client, Behaviour::Garbage).await;
    assert!(matches!(error, UpstreamError::InvalidResponse { .. }), "{error:?}");
    assert_eq!(calls, 1);
}

async fn issued_id(fake: &FakeUpstreams, issuer: &HttpCredentialIssuer) -> String {
    let request = request();
    let issued = issuer
        .issue(CredentialRequest {
            learner_did: "did:upai:x",
            request: &request,
            issued_on: "May".into(),
            issuance_id: Uuid::new_v4(),
            status: None,
        })
        .await
        .unwrap();
    assert_eq!(fake.credentials_issued(), 1);
    issued.certificate_id
}

async fn sunbird_renders_through_its_template_with_the_nestjs_headers(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    let issuer = issuer_for(&fake.base_url(), client);
    let id = issued_id(&fake, &issuer).await;
    let html = issuer.render_html(&id, "template-7").await.unwrap().expect("a known credential");
    assert!(html.contains("John Doe") && html.contains("template template-7"), "{html}");
    assert!(html.contains("**Id**"), "the adapter passes the page on; the domain replaces **Id**");
    assert_eq!(fake.renderings(), [(id, "template-7".to_owned(), "text/html".to_owned())]);
    assert_eq!(issuer.render_html("urn:uuid:unknown", "template-7").await.unwrap(), None, "404: unknown");
    fake.set_render(Behaviour::Status(500));
    assert!(matches!(
        issuer.render_html("urn:uuid:unknown", "t").await,
        Err(UpstreamError::Refused { upstream: Upstream::Credential, ref answer, refusal: Refusal::Other }) if answer == "HTTP 500"
    ));
    fake.set_render(Behaviour::Stall(Duration::from_secs(2)));
    assert!(matches!(issuer.render_html("urn:uuid:unknown", "t").await, Err(UpstreamError::Timeout { .. })));
}

async fn templates_and_schemas_go_to_the_schema_service_as_the_nestjs_service_sends_them(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    let issuer = issuer_for(&fake.base_url(), client);
    let answer = issuer.add_template("schema-9", "<p>{{firstName}}</p>").await.unwrap();
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert!(answer["templateId"].is_string(), "the service's answer, passed on: {answer}");
    let schema = r#"{"title": "CourseCertificate", "type": "object"}"#;
    issuer.add_schema(schema).await.unwrap();
    let received = fake.received();
    assert_eq!(received[0].path, TEMPLATE_PATH);
    assert_eq!(
        received[0].body,
        json!({"schemaId": "schema-9", "schemaVersion": "1.0.0", "template": "<p>{{firstName}}</p>", "type": "Handlebar"})
    );
    assert_eq!(
        (received[1].path, &received[1].body),
        (SCHEMA_PATH, &json!({"title": "CourseCertificate", "type": "object"}))
    );
    fake.set_schemas(Behaviour::Status(500));
    let error = issuer.add_template("schema-9", "x").await.unwrap_err();
    assert!(
        matches!(error, UpstreamError::Refused { upstream: Upstream::Schema, ref answer, refusal: Refusal::Other } if answer == "HTTP 500"),
        "{error}"
    );
    fake.set_schemas(Behaviour::Garbage);
    assert!(matches!(issuer.add_schema(schema).await, Err(UpstreamError::InvalidResponse { .. })));
}

async fn generate_did_passes_the_identity_services_answer_on(client: UpstreamClient) {
    let fake = FakeUpstreams::start();
    let issuer = issuer_for(&fake.base_url(), client);
    let GeneratedIdentity::Answered(answer) = issuer.generate_did(Uuid::new_v4()).await.unwrap() else {
        panic!("the identity service's own answer is passed on");
    };
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert!(answer[0]["id"].as_str().unwrap().starts_with("did:upai:"), "{answer}");
    fake.set_identity(Behaviour::Garbage);
    assert!(matches!(issuer.generate_did(Uuid::new_v4()).await, Err(UpstreamError::InvalidResponse { .. })));
}

/// Every check above, once per HTTP client.
macro_rules! for_each_client {
    ($($check:ident),* $(,)?) => {
        mod reqwest_client {
            use super::*;
            $( #[tokio::test] async fn $check() { super::$check(UpstreamClient::Reqwest).await } )*
        }
        mod ureq_client {
            use super::*;
            $( #[tokio::test] async fn $check() { super::$check(UpstreamClient::Ureq).await } )*
        }
    };
}

for_each_client!(
    both_calls_send_the_contracts_bodies_and_read_the_answers,
    the_adapter_keeps_the_credential_issuer_contract_against_the_fake,
    a_failed_lookup_is_an_upstream_error_and_a_stalled_one_times_out,
    a_refused_revocation_is_an_upstream_error,
    an_error_status_is_rejected_and_a_500_is_not_retried,
    a_503_is_retried_within_the_bound,
    a_stalled_service_times_out,
    garbage_is_an_invalid_response,
    a_closed_port_is_unreachable,
    an_issue_call_whose_connection_dropped_after_issuing_is_not_sent_again,
    an_issue_call_answered_by_a_gateway_error_is_not_sent_again,
    an_issue_call_that_timed_out_or_was_unreadable_is_not_sent_again,
    sunbird_renders_through_its_template_with_the_nestjs_headers,
    templates_and_schemas_go_to_the_schema_service_as_the_nestjs_service_sends_them,
    generate_did_passes_the_identity_services_answer_on
);
