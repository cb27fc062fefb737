//! The use cases besides issuing, in process, on the in-memory store and
//! doubles of the other ports: changing a standing, reading and verifying,
//! rendering, keeping templates, and publishing status lists. The system tests drive the same
//! use cases through HTTP on Postgres; these say what each promises on its
//! own, and fail fast.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use certificate_domain::ports::{
    CertificateStandings, CredentialVerification, PrintError, StatusListSigning, SystemClock, SystemRandomness,
    TemplateError, TemplateStore, UpstreamError,
};
use certificate_domain::{
    ChangeError, ChangeStanding, Checks, DesignError, Designed, IssuanceRoles, IssueCertificate, IssueCommand,
    IssueRequest, LocalRendering, ManageTemplates, PublishStatusLists, ReadCertificate, ReadError, RecordedCredential,
    RenderCertificate, RenderError, RenderSources, RequestFields, Standing, StandingCommand, StatusAllocator,
    StatusListDocument, StatusListId, StatusPurpose, TemplateRegistry, Verdict, VerdictStatus, VerifyError,
};
use certificate_memory::doubles::{ExampleLinks, FakeCredentialIssuer, FakePrinter, PlainRenderer, RecordingObserver};
use certificate_memory::embedded::{InMemoryStore, InMemoryTemplates};
use serde_json::json;
use uuid::Uuid;

const USER: &str = "af771398-bc1a-4350-b849-907561d25957";

fn request(course_id: &str) -> IssueRequest {
    let fields: RequestFields = serde_json::from_value(json!({
        "userId": USER, "courseId": course_id, "courseName": "Intro", "firstName": "Ada", "lastName": "Lovelace",
        "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z"
    }))
    .unwrap();
    IssueRequest::parse(fields).unwrap()
}

/// A certificate issued into `store` by the fake issuer: its id.
async fn issued(store: &Arc<InMemoryStore>, issuer: &Arc<FakeCredentialIssuer>, course_id: &str) -> String {
    let roles = IssuanceRoles::played_by(issuer.clone());
    let observer = Arc::new(RecordingObserver::default());
    let use_case = IssueCertificate::new(store.clone(), roles, Arc::new(SystemClock), observer);
    let command = IssueCommand { request: request(course_id), idempotency_key: None };
    use_case.issue(&command).await.unwrap().credential.certificate_id
}

fn change_standing(store: &Arc<InMemoryStore>, remote_issuer: bool) -> ChangeStanding {
    let observer = Arc::new(RecordingObserver::default());
    let (clock, ids) = (Arc::new(SystemClock), Arc::new(SystemRandomness));
    ChangeStanding::new(store.clone(), store.clone(), clock, ids, observer, remote_issuer)
}

#[tokio::test]
async fn a_standing_changes_by_the_operators_word_and_revocation_is_final() {
    let (store, issuer) = (Arc::new(InMemoryStore::new()), Arc::new(FakeCredentialIssuer::new()));
    let id = issued(&store, &issuer, "do_1").await;
    let standings = change_standing(&store, false);
    let events_after_issue = store.events().len();

    let suspended = standings.apply(&id, StandingCommand::Suspend, "a complaint").await.unwrap();
    assert_eq!((suspended.standing, suspended.reason.as_deref()), (Standing::Suspended, Some("a complaint")));
    let again = standings.apply(&id, StandingCommand::Suspend, "twice").await.unwrap();
    assert_eq!(again.reason.as_deref(), Some("a complaint"), "already suspended: answered as done, unchanged");
    standings.apply(&id, StandingCommand::Reinstate, "cleared").await.unwrap();
    let revoked = standings.apply(&id, StandingCommand::Revoke, "fraud").await.unwrap();
    assert_eq!(revoked.standing, Standing::Revoked);
    assert_eq!(store.standing(&id).await.unwrap().standing, Standing::Revoked, "recorded");
    for command in [StandingCommand::Suspend, StandingCommand::Reinstate] {
        let refused = standings.apply(&id, command, "undo").await.unwrap_err();
        assert!(matches!(refused, ChangeError::Refused(_)), "{refused}");
    }
    assert_eq!(store.events().len() - events_after_issue, 3, "one event per change, none for a repeat or a refusal");
    let unknown = standings.apply("urn:uuid:nobody", StandingCommand::Revoke, "x").await.unwrap_err();
    assert!(matches!(unknown, ChangeError::NotFound));
}

#[tokio::test]
async fn with_a_remote_issuer_only_revocation_is_possible_and_it_is_queued_for_the_issuer() {
    let (store, issuer) = (Arc::new(InMemoryStore::new()), Arc::new(FakeCredentialIssuer::new()));
    let id = issued(&store, &issuer, "do_1").await;
    let standings = change_standing(&store, true);
    let refused = standings.apply(&id, StandingCommand::Suspend, "x").await.unwrap_err();
    assert!(matches!(refused, ChangeError::NoSuspension), "{refused:?}");
    let queued = store.revocations_pending();
    standings.apply(&id, StandingCommand::Revoke, "fraud").await.unwrap();
    assert_eq!(store.revocations_pending(), queued + 1, "the issuer's DELETE is queued with the change");
}

/// Answers what it was given: the recorded credential's standing.
#[derive(Default)]
struct EchoingVerifier {
    asked_with: Mutex<Vec<Option<(bool, bool)>>>,
}

#[async_trait]
impl CredentialVerification for EchoingVerifier {
    async fn verify(
        &self,
        _certificate_id: &str,
        recorded: Option<&RecordedCredential>,
    ) -> Result<Option<Verdict>, UpstreamError> {
        self.asked_with.lock().unwrap().push(recorded.map(|r| (r.revoked, r.suspended)));
        Ok(recorded.map(|recorded| Verdict {
            status: if recorded.suspended { VerdictStatus::Suspended } else { VerdictStatus::Issued },
            checks: Checks { active: !recorded.suspended, not_revoked: true, not_expired: true, proof: true },
        }))
    }
}

#[tokio::test]
async fn reading_gives_the_standing_and_verifying_hands_it_to_the_verifier() {
    let (store, issuer) = (Arc::new(InMemoryStore::new()), Arc::new(FakeCredentialIssuer::new()));
    let id = issued(&store, &issuer, "do_1").await;
    let verifier = Arc::new(EchoingVerifier::default());
    let read = ReadCertificate::new(store.clone(), verifier.clone(), store.clone());
    let user = Uuid::parse_str(USER).unwrap();

    let (certificate, standing) = read.read(user, "do_1").await.unwrap();
    assert_eq!((certificate.certificate_id.as_str(), standing.standing), (id.as_str(), Standing::Active));
    change_standing(&store, false).apply(&id, StandingCommand::Suspend, "a complaint").await.unwrap();
    assert_eq!(read.read(user, "do_1").await.unwrap().1.standing, Standing::Suspended);
    assert_eq!(read.verify(&id).await.unwrap().status, VerdictStatus::Suspended);
    assert_eq!(verifier.asked_with.lock().unwrap().last(), Some(&Some((false, true))), "the standing went along");

    assert!(matches!(read.read(user, "do_2").await, Err(ReadError::NotFound)));
    assert!(matches!(read.verify("urn:uuid:nobody").await, Err(VerifyError::NotFound)));
}

/// A certificate issued into an in-memory store, its renderer and printer.
async fn rendering() -> (String, RenderCertificate, Arc<FakePrinter>) {
    let (store, issuer) = (Arc::new(InMemoryStore::new()), Arc::new(FakeCredentialIssuer::new()));
    let id = issued(&store, &issuer, "do_1").await;
    let printer = Arc::new(FakePrinter::default());
    let local = LocalRendering {
        repo: store.clone(),
        templates: Arc::new(InMemoryTemplates::new()),
        renderer: Arc::new(PlainRenderer),
        links: Arc::new(ExampleLinks("https://certificates.example")),
    };
    (id, RenderCertificate::new(RenderSources { upstream: None, local }, printer.clone(), 1 << 20), printer)
}

#[tokio::test]
async fn a_rendering_names_the_verify_url_is_printed_once_and_kept() {
    let (id, render, printer) = rendering().await;

    let html = render.html(&id, None).await.unwrap();
    let page = String::from_utf8_lossy(&html.body).into_owned();
    assert_eq!(page, format!("<p>built-in|{id}|https://certificates.example/verification/{id}</p>"));
    let pdf = render.pdf(&id, None).await.unwrap();
    assert!(pdf.body.starts_with(b"%PDF-fake <meta charset=\"UTF-8\">"), "printed with a charset");
    let again = render.pdf(&id, None).await.unwrap();
    assert_eq!(
        (printer.prints(), again.digest.as_str()),
        (1, pdf.digest.as_str()),
        "the second answer is the kept one"
    );

    assert!(matches!(render.html("urn:uuid:nobody", None).await, Err(RenderError::CredentialNotFound)));
    let unknown_template = render.html(&id, Some(&Uuid::new_v4().to_string())).await;
    assert!(matches!(unknown_template, Err(RenderError::TemplateNotFound)));
    assert!(matches!(render.html(&id, Some("not-a-uuid")).await, Err(RenderError::TemplateNotFound)));
}

#[tokio::test]
async fn a_failed_print_is_not_kept() {
    let (id, render, printer) = rendering().await;
    printer.fail_with(Some(PrintError::Timeout(30_000)));
    assert!(matches!(render.pdf(&id, None).await, Err(RenderError::Print(PrintError::Timeout(_)))));
    printer.fail_with(None);
    assert!(render.pdf(&id, None).await.is_ok(), "the next print is tried again");
    assert_eq!(printer.prints(), 2);
}

/// Signs a list as a readable text of what it was given, and counts.
#[derive(Default)]
struct CountingSigner {
    signed: AtomicUsize,
}

impl StatusListSigning for CountingSigner {
    fn sign_list(&self, document: &StatusListDocument<'_>) -> String {
        self.signed.fetch_add(1, Ordering::SeqCst);
        let set: Vec<usize> = (0..document.bits.len() * 8)
            .filter(|index| document.bits[index / 8] & (0x80 >> (index % 8)) != 0)
            .collect();
        format!("{} {} {set:?} {}", document.id, document.url, document.valid_from.to_rfc3339())
    }
}

#[tokio::test]
async fn a_list_is_signed_once_per_version_and_anew_after_a_change() {
    let store = Arc::new(InMemoryStore::new());
    let slot = StatusAllocator::new(store.clone(), 16).allocate().await.unwrap();
    let signer = Arc::new(CountingSigner::default());
    let ttl = Duration::from_secs(300);
    let lists = PublishStatusLists::new(
        store.clone(),
        signer.clone(),
        Arc::new(SystemClock),
        Arc::new(ExampleLinks("https://certificates.example")),
        ttl,
    );
    let revocation = slot.list_id(StatusPurpose::Revocation);

    let first = lists.list(revocation).await.unwrap().expect("the allocated list exists");
    let text = String::from_utf8_lossy(&first.body).into_owned();
    assert!(text.starts_with(&format!("{revocation} https://certificates.example/lists/{revocation} []")), "{text}");
    let again = lists.list(revocation).await.unwrap().unwrap();
    assert_eq!((again.digest.as_str(), signer.signed.load(Ordering::SeqCst)), (first.digest.as_str(), 1));

    store.revoke_entry(slot).await.unwrap();
    lists.changed(slot.list);
    let changed = lists.list(revocation).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&changed.body).into_owned();
    assert!(text.contains(&format!("[{}]", slot.index)), "the bit is set: {text}");
    assert_eq!(signer.signed.load(Ordering::SeqCst), 2);
    assert_ne!(changed.digest, first.digest);

    let unknown = StatusListId { list: slot.list + 1, purpose: StatusPurpose::Revocation };
    assert!(lists.list(unknown).await.unwrap().is_none());
}

/// The credential-schema service as a test sees it: it answers each call
/// with what it was sent, and counts the calls.
#[derive(Default)]
struct EchoingSchemaService(AtomicUsize);

#[async_trait]
impl certificate_domain::ports::CredentialDesign for EchoingSchemaService {
    async fn add_template(&self, schema_id: &str, template: &str) -> Result<Arc<str>, UpstreamError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(json!({"schemaId": schema_id, "template": template}).to_string().into())
    }

    async fn add_schema(&self, schema: &str) -> Result<Arc<str>, UpstreamError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(schema.into())
    }
}

/// With the service's own store, a template is stored only if it
/// compiles, under a new id, read back as sent; a schema is kept as sent.
/// With Sunbird RC, the schema service's answers are passed on and nothing
/// is checked or kept here.
#[tokio::test]
async fn templates_are_kept_only_when_they_compile_and_sunbird_rcs_answers_pass_through() {
    let store = Arc::new(InMemoryTemplates::new());
    let local = ManageTemplates::new(TemplateRegistry::Local {
        store: store.clone(),
        renderer: Arc::new(PlainRenderer),
        clock: Arc::new(SystemClock),
        ids: Arc::new(SystemRandomness),
    });
    let Designed::Template(stored) = local.add_template("schema-1", "<p>{{firstName}}</p>").await.unwrap() else {
        panic!("a stored template");
    };
    assert_eq!((stored.schema_id.as_str(), &*stored.template), ("schema-1", "<p>{{firstName}}</p>"));
    assert_eq!(store.template(stored.id).await.unwrap(), Some(stored.clone()), "read back as stored");
    let refused = local.add_template("schema-1", "<p>{{#broken}}</p>").await;
    assert!(matches!(refused, Err(DesignError::Template(TemplateError::Invalid(_)))), "{refused:?}");
    let Designed::Schema(schema) = local.add_schema(r#"{"title": "Course"}"#).await.unwrap() else {
        panic!("a stored schema");
    };
    assert_eq!(&*schema.schema, r#"{"title": "Course"}"#);
    assert_ne!(schema.id, stored.id, "ids of their own");

    let service = Arc::new(EchoingSchemaService::default());
    let upstream = ManageTemplates::new(TemplateRegistry::Upstream(service.clone()));
    let Designed::Answered(answer) = upstream.add_template("schema-2", "<p>{{#broken}}</p>").await.unwrap() else {
        panic!("the schema service's answer");
    };
    assert_eq!(&*answer, r#"{"schemaId":"schema-2","template":"<p>{{#broken}}</p>"}"#, "its answer, as it came");
    assert!(matches!(upstream.add_schema("{}").await.unwrap(), Designed::Answered(_)));
    assert_eq!(service.0.load(Ordering::SeqCst), 2, "each call went to it");
}
