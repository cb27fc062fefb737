//! A real HTTP server that fakes the identity service (`POST /did/generate`)
//! and the credential service on one port: `POST /credentials/issue` (which
//! keeps each credential with the request's `tags`), `GET /credentials?tags=`
//! (the stored credentials carrying any of the tags, newest first),
//! `GET /credentials/{id}`, `DELETE /credentials/{id}` (revoke) and
//! `GET /credentials/{id}/verify` (Sunbird RC's status and checks); its
//! renderer (`GET /credentials/{id}` with `Accept: text/html` and a
//! `templateid`: a page naming the learner, the course, the template and
//! `**Id**`, left for the caller to replace); and the credential-schema
//! service's `POST /schemas/template` and `POST /schemas` (201, the stored
//! body with an id).
//!
//! Tests start it on port 0, switch how each call behaves (answer, fail
//! with a status, a few times or always, stall, issue then stall, issue
//! then drop the connection or answer a gateway error, send garbage, fail
//! every other call), read back the exact bodies it received
//! and count the credentials it holds per issuance tag. `make up` and the
//! benchmarks run its binary.

use std::any::Any;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Extensions;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use uuid::Uuid;

pub const DID_PATH: &str = "/did/generate";
pub const CREDENTIAL_PATH: &str = "/credentials/issue";
pub const LOOKUP_PATH: &str = "/credentials";
pub const REVOKE_PATH: &str = "/credentials/{id}";
pub const VERIFY_PATH: &str = "/credentials/{id}/verify";
pub const TEMPLATE_PATH: &str = "/schemas/template";
pub const SCHEMA_PATH: &str = "/schemas";

/// How one faked service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Answer,
    Status(u16),
    /// Answers correctly, but only after this long.
    Stall(Duration),
    /// The credential service keeps the credential at once, then answers
    /// only after this long: an issuance whose answer is lost to a timeout.
    IssueThenStall(Duration),
    /// The credential service keeps the credential, then closes the
    /// connection without answering: a backend or proxy that dies (or resets
    /// the connection) after the commit.
    IssueThenDrop,
    /// The credential service keeps the credential, then answers this status:
    /// a gateway that lost its backend's answer (502, 504).
    IssueThenStatus(u16),
    /// This status for the next `times` calls, a correct answer after.
    StatusTimes(u16, u64),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 500 on every odd-numbered call, a correct answer otherwise.
    FailEveryOther,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    pub path: &'static str,
    pub body: Value,
}

struct Service {
    path: &'static str,
    behaviour: Mutex<Behaviour>,
    calls: AtomicU64,
    answered: AtomicU64,
    /// Calls failed under `StatusTimes` since the behaviour was set.
    failed: AtomicU64,
}

impl Service {
    fn new(path: &'static str) -> Self {
        Self {
            path,
            behaviour: Mutex::new(Behaviour::Answer),
            calls: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
        self.failed.store(0, Ordering::SeqCst);
    }
}

/// A credential the fake credential service issued.
#[derive(Debug, Clone)]
struct Stored {
    credential: Value,
    tags: Vec<String>,
    revoked: bool,
}

impl Stored {
    fn id(&self) -> &str {
        self.credential["id"].as_str().unwrap_or_default()
    }
}

struct State {
    identity: Service,
    credentials: Service,
    lookup: Service,
    revoke: Service,
    verify: Service,
    render: Service,
    templates: Service,
    schemas: Service,
    /// `(credential id, templateid header, Accept header)` of each rendering asked for.
    renderings: Mutex<Vec<(String, String, String)>>,
    record: bool,
    received: Mutex<Vec<ReceivedRequest>>,
    /// Every credential issued, oldest first.
    issued: Mutex<Vec<Stored>>,
}

/// The running fake; it serves until the process ends.
#[derive(Clone)]
pub struct FakeUpstreams {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FakeUpstreams {
    /// Serves on `listener` from a thread of its own. With `record`, every
    /// request body is kept for [`FakeUpstreams::received`].
    pub fn serve(listener: TcpListener, workers: usize, record: bool) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            identity: Service::new(DID_PATH),
            credentials: Service::new(CREDENTIAL_PATH),
            lookup: Service::new(LOOKUP_PATH),
            revoke: Service::new(REVOKE_PATH),
            verify: Service::new(VERIFY_PATH),
            render: Service::new(REVOKE_PATH),
            templates: Service::new(TEMPLATE_PATH),
            schemas: Service::new(SCHEMA_PATH),
            renderings: Mutex::new(Vec::new()),
            record,
            received: Mutex::new(Vec::new()),
            issued: Mutex::new(Vec::new()),
        });
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::JsonConfig::default().limit(1 << 20))
                .route(DID_PATH, web::post().to(generate_did))
                .route(CREDENTIAL_PATH, web::post().to(issue_credential))
                .route(LOOKUP_PATH, web::get().to(find_by_tags))
                .route(REVOKE_PATH, web::get().to(find_by_id))
                .route(REVOKE_PATH, web::delete().to(revoke))
                .route(VERIFY_PATH, web::get().to(verify))
                .route(TEMPLATE_PATH, web::post().to(create_template))
                .route(SCHEMA_PATH, web::post().to(create_schema))
        })
        .on_connect(keep_socket)
        .workers(workers)
        .disable_signals()
        .listen(listener)?
        .run();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Ok(Self { addr, state })
    }

    /// A recording fake on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        Self::serve(listener, 2, true).expect("start the upstream fake")
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_identity(&self, behaviour: Behaviour) {
        self.state.identity.set(behaviour);
    }

    pub fn set_credentials(&self, behaviour: Behaviour) {
        self.state.credentials.set(behaviour);
    }

    /// How `GET /credentials?tags=` behaves.
    pub fn set_lookup(&self, behaviour: Behaviour) {
        self.state.lookup.set(behaviour);
    }

    /// How `DELETE /credentials/{id}` behaves.
    pub fn set_verify(&self, behaviour: Behaviour) {
        self.state.verify.set(behaviour);
    }

    /// How the renderer (`GET /credentials/{id}` as HTML) answers.
    pub fn set_render(&self, behaviour: Behaviour) {
        self.state.render.set(behaviour);
    }

    /// How the credential-schema service answers.
    pub fn set_schemas(&self, behaviour: Behaviour) {
        self.state.templates.set(behaviour);
        self.state.schemas.set(behaviour);
    }

    /// `(credential id, templateid, Accept)` of each rendering asked for, in order.
    pub fn renderings(&self) -> Vec<(String, String, String)> {
        self.state.renderings.lock().unwrap().clone()
    }

    pub fn set_revoke(&self, behaviour: Behaviour) {
        self.state.revoke.set(behaviour);
    }

    /// The ids of the credentials issued for this learner and course, oldest
    /// first, each with whether it was revoked.
    pub fn credentials_of(&self, user_id: &str, course_id: &str) -> Vec<(String, bool)> {
        let issued = self.state.issued.lock().unwrap();
        let of = |stored: &&Stored| {
            let subject = &stored.credential["credentialSubject"];
            subject["userId"] == user_id && subject["courseId"] == course_id
        };
        issued.iter().filter(of).map(|stored| (stored.id().to_owned(), stored.revoked)).collect()
    }

    /// What the credential service holds for this learner and course, oldest
    /// first: each credential's id, tags and whether it was revoked (for a
    /// report of what went wrong).
    pub fn issued_to(&self, user_id: &str, course_id: &str) -> Vec<Value> {
        let issued = self.state.issued.lock().unwrap();
        let of = |stored: &&Stored| {
            let subject = &stored.credential["credentialSubject"];
            subject["userId"] == user_id && subject["courseId"] == course_id
        };
        issued.iter().filter(of).map(|s| json!({"id": s.id(), "tags": s.tags, "revoked": s.revoked})).collect()
    }

    /// How many credentials not revoked each (userId, courseId) has, for
    /// every learner and course issued to.
    pub fn live_credentials(&self) -> std::collections::HashMap<(String, String), usize> {
        let mut live = std::collections::HashMap::new();
        for stored in self.state.issued.lock().unwrap().iter() {
            let subject = &stored.credential["credentialSubject"];
            let text = |field: &str| subject[field].as_str().unwrap_or_default().to_owned();
            *live.entry((text("userId"), text("courseId"))).or_insert(0) += usize::from(!stored.revoked);
        }
        live
    }

    /// Credentials issued under each issuance tag (`issuance:<uuid>`), by tag.
    pub fn credentials_per_tag(&self) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        for stored in self.state.issued.lock().unwrap().iter() {
            for tag in &stored.tags {
                *counts.entry(tag.clone()).or_insert(0) += 1;
            }
        }
        counts
    }

    pub fn lookup_calls(&self) -> u64 {
        self.state.lookup.calls.load(Ordering::SeqCst)
    }

    pub fn revoke_calls(&self) -> u64 {
        self.state.revoke.calls.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.state.received.lock().unwrap().clone()
    }

    /// Credentials answered with success: what was really issued.
    pub fn credentials_issued(&self) -> u64 {
        self.state.credentials.answered.load(Ordering::SeqCst)
    }

    pub fn verify_calls(&self) -> u64 {
        self.state.verify.calls.load(Ordering::SeqCst)
    }

    pub fn credential_calls(&self) -> u64 {
        self.state.credentials.calls.load(Ordering::SeqCst)
    }

    pub fn did_calls(&self) -> u64 {
        self.state.identity.calls.load(Ordering::SeqCst)
    }
}

/// A loopback address that refuses connections, as a service that is down
/// looks: the socket is bound and never listens, so no other process can
/// take the port while the returned socket is held.
pub fn refusing_address() -> (socket2::Socket, SocketAddr) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into()).expect("bind a loopback port");
    let address = socket.local_addr().expect("its address").as_socket().expect("an IP address");
    (socket, address)
}

/// Decides the answer of one call; `None` means answer normally.
async fn misbehave(state: &State, service: &Service, body: &Value) -> Option<HttpResponse> {
    let call = service.calls.fetch_add(1, Ordering::SeqCst);
    if state.record {
        state.received.lock().unwrap().push(ReceivedRequest { path: service.path, body: body.clone() });
    }
    let behaviour = *service.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::Answer | Behaviour::IssueThenStall(_) | Behaviour::IssueThenDrop | Behaviour::IssueThenStatus(_) => {
            None
        }
        Behaviour::Stall(delay) => {
            actix_web::rt::time::sleep(delay).await;
            None
        }
        Behaviour::StatusTimes(status, times) if service.failed.fetch_add(1, Ordering::SeqCst) < times => {
            Some(error_status(status))
        }
        Behaviour::StatusTimes(..) => None,
        Behaviour::Status(status) => Some(error_status(status)),
        Behaviour::Garbage => Some(HttpResponse::Ok().content_type("application/json").body("<html>not json")),
        Behaviour::FailEveryOther if call % 2 == 1 => Some(error_status(500)),
        Behaviour::FailEveryOther => None,
    }
}

fn error_status(status: u16) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).expect("a valid HTTP status");
    HttpResponse::build(status).json(json!({"error": "faked failure"}))
}

async fn generate_did(state: web::Data<State>, body: web::Json<Value>) -> HttpResponse {
    if let Some(response) = misbehave(&state, &state.identity, &body).await {
        return response;
    }
    state.identity.answered.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(json!([{"id": format!("did:upai:{}", Uuid::new_v4())}]))
}

/// The connection's socket, kept for a handler that must close it unanswered.
#[derive(Clone, Copy)]
struct Socket(RawFd);

fn keep_socket(connection: &dyn Any, data: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        data.insert(Socket(stream.as_raw_fd()));
    }
}

/// Shuts the request's connection down both ways: the caller reads the end
/// of the stream where the answer should be.
fn close_unanswered(request: &HttpRequest) {
    let socket = request.conn_data::<Socket>().expect("every connection's socket is kept");
    // SAFETY: the connection, and so its socket, lives while its request is handled.
    let fd = unsafe { BorrowedFd::borrow_raw(socket.0) };
    let _ = socket2::SockRef::from(&fd).shutdown(std::net::Shutdown::Both);
}

async fn issue_credential(state: web::Data<State>, request: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    if let Some(response) = misbehave(&state, &state.credentials, &body).await {
        return response;
    }
    state.credentials.answered.fetch_add(1, Ordering::SeqCst);
    let requested = &body["credential"];
    let mut subject = requested["credentialSubject"].clone();
    if let Some(subject) = subject.as_object_mut() {
        subject.remove("certificateId");
    }
    let credential = json!({
        "id": format!("did:upai:cert{}", Uuid::new_v4().simple()),
        "@context": requested["@context"],
        "type": requested["type"],
        "issuer": requested["issuer"],
        "issuanceDate": requested["issuanceDate"],
        "expirationDate": requested["expirationDate"],
        "credentialSubject": subject,
    });
    let tags = body["tags"].as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)).collect();
    state.issued.lock().unwrap().push(Stored { credential: credential.clone(), tags, revoked: false });
    let behaviour = *state.credentials.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::IssueThenStall(delay) => actix_web::rt::time::sleep(delay).await,
        Behaviour::IssueThenDrop => close_unanswered(&request),
        Behaviour::IssueThenStatus(status) => return error_status(status),
        _ => {}
    }
    HttpResponse::Ok().json(json!({ "credential": credential }))
}

#[derive(serde::Deserialize)]
struct TagQuery {
    tags: String,
}

/// The credentials carrying any of the tags, newest first (no paging: the
/// service asks for one issuance's credentials, a handful at most).
async fn find_by_tags(state: web::Data<State>, query: web::Query<TagQuery>) -> HttpResponse {
    if let Some(response) = misbehave(&state, &state.lookup, &json!({"tags": query.tags})).await {
        return response;
    }
    let wanted: Vec<&str> = query.tags.split(',').collect();
    let issued = state.issued.lock().unwrap();
    let found: Vec<Value> = issued
        .iter()
        .rev()
        .filter(|stored| stored.tags.iter().any(|tag| wanted.contains(&tag.as_str())))
        .map(|stored| stored.credential.clone())
        .collect();
    HttpResponse::Ok().json(found)
}

/// The credential as JSON, or, asked for HTML with a `templateid`, rendered.
async fn find_by_id(state: web::Data<State>, request: HttpRequest) -> HttpResponse {
    let id = request.match_info().get("id").unwrap_or_default().to_owned();
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (template_id, accept) = (header("templateid"), header("accept"));
    let html = accept.contains("text/html");
    if html {
        state.renderings.lock().unwrap().push((id.clone(), template_id.clone(), accept));
        if let Some(response) = misbehave(&state, &state.render, &json!({"id": id})).await {
            return response;
        }
    }
    let issued = state.issued.lock().unwrap();
    let Some(stored) = issued.iter().find(|stored| stored.id() == id) else {
        return HttpResponse::NotFound().json(json!({"error": "no such credential"}));
    };
    if !html {
        return HttpResponse::Ok().json(&stored.credential);
    }
    let subject = &stored.credential["credentialSubject"];
    let text = |name: &str| subject[name].as_str().unwrap_or_default().to_owned();
    let page = format!(
        "<!DOCTYPE html><html><body><h1>{} {}</h1><p>{}</p><p>template {template_id}</p><p>id **Id**</p></body></html>",
        text("firstName"),
        text("lastName"),
        text("courseName")
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page)
}

/// The credential-schema service keeps the template: 201, the body with an id.
async fn create_template(state: web::Data<State>, body: web::Json<Value>) -> HttpResponse {
    designed(&state, &state.templates, body.into_inner(), "templateId").await
}

async fn create_schema(state: web::Data<State>, body: web::Json<Value>) -> HttpResponse {
    designed(&state, &state.schemas, body.into_inner(), "id").await
}

async fn designed(state: &State, service: &Service, mut body: Value, id_field: &str) -> HttpResponse {
    if let Some(response) = misbehave(state, service, &body).await {
        return response;
    }
    if let Value::Object(fields) = &mut body {
        fields.insert(id_field.to_owned(), json!(Uuid::new_v4()));
    }
    HttpResponse::Created().json(body)
}

async fn revoke(state: web::Data<State>, request: HttpRequest) -> HttpResponse {
    let id = request.match_info().get("id").unwrap_or_default().to_owned();
    if let Some(response) = misbehave(&state, &state.revoke, &json!({"id": id})).await {
        return response;
    }
    let mut issued = state.issued.lock().unwrap();
    match issued.iter_mut().find(|stored| stored.id() == id) {
        Some(stored) => {
            stored.revoked = true;
            HttpResponse::Ok().json(json!({"id": id, "status": "REVOKED"}))
        }
        None => HttpResponse::NotFound().json(json!({"error": "no such credential"})),
    }
}

/// Sunbird RC's verdict: every check passes but `revoked` once revoked.
async fn verify(state: web::Data<State>, request: HttpRequest) -> HttpResponse {
    let id = request.match_info().get("id").unwrap_or_default().to_owned();
    if let Some(response) = misbehave(&state, &state.verify, &json!({"id": id})).await {
        return response;
    }
    let issued = state.issued.lock().unwrap();
    match issued.iter().find(|stored| stored.id() == id) {
        Some(stored) => {
            let (status, revoked) = if stored.revoked { ("REVOKED", "NOK") } else { ("ISSUED", "OK") };
            HttpResponse::Ok().json(json!({
                "status": status,
                "checks": [{"active": "OK", "revoked": revoked, "expired": "OK", "proof": "OK"}],
            }))
        }
        None => HttpResponse::NotFound().json(json!({"error": "no such credential"})),
    }
}
