//! A real HTTP server that fakes the identity service (`POST /did/generate`)
//! and the credential service (`POST /credentials/issue`) on one port.
//!
//! Tests start it on port 0, switch how each service behaves (answer, fail
//! with a status, stall, send garbage, fail every other call) and read back
//! the exact bodies it received. `make up` and the benchmarks run its binary.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use uuid::Uuid;

pub const DID_PATH: &str = "/did/generate";
pub const CREDENTIAL_PATH: &str = "/credentials/issue";

/// How one faked service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Answer,
    Status(u16),
    /// Answers correctly, but only after this long.
    Stall(Duration),
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
}

impl Service {
    fn new(path: &'static str) -> Self {
        Self { path, behaviour: Mutex::new(Behaviour::Answer), calls: AtomicU64::new(0), answered: AtomicU64::new(0) }
    }
}

struct State {
    identity: Service,
    credentials: Service,
    record: bool,
    received: Mutex<Vec<ReceivedRequest>>,
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
            record,
            received: Mutex::new(Vec::new()),
        });
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::JsonConfig::default().limit(1 << 20))
                .route(DID_PATH, web::post().to(generate_did))
                .route(CREDENTIAL_PATH, web::post().to(issue_credential))
        })
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
        *self.state.identity.behaviour.lock().unwrap() = behaviour;
    }

    pub fn set_credentials(&self, behaviour: Behaviour) {
        *self.state.credentials.behaviour.lock().unwrap() = behaviour;
    }

    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.state.received.lock().unwrap().clone()
    }

    /// Credentials answered with success: what was really issued.
    pub fn credentials_issued(&self) -> u64 {
        self.state.credentials.answered.load(Ordering::SeqCst)
    }

    pub fn credential_calls(&self) -> u64 {
        self.state.credentials.calls.load(Ordering::SeqCst)
    }

    pub fn did_calls(&self) -> u64 {
        self.state.identity.calls.load(Ordering::SeqCst)
    }
}

/// Decides the answer of one call; `None` means answer normally.
async fn misbehave(state: &State, service: &Service, body: &Value) -> Option<HttpResponse> {
    let call = service.calls.fetch_add(1, Ordering::SeqCst);
    if state.record {
        state.received.lock().unwrap().push(ReceivedRequest { path: service.path, body: body.clone() });
    }
    let behaviour = *service.behaviour.lock().unwrap();
    match behaviour {
        Behaviour::Answer => None,
        Behaviour::Stall(delay) => {
            actix_web::rt::time::sleep(delay).await;
            None
        }
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

async fn issue_credential(state: web::Data<State>, body: web::Json<Value>) -> HttpResponse {
    if let Some(response) = misbehave(&state, &state.credentials, &body).await {
        return response;
    }
    state.credentials.answered.fetch_add(1, Ordering::SeqCst);
    let credential = &body["credential"];
    let mut subject = credential["credentialSubject"].clone();
    if let Some(subject) = subject.as_object_mut() {
        subject.remove("certificateId");
    }
    HttpResponse::Ok().json(json!({
        "credential": {
            "id": format!("did:upai:cert{}", Uuid::new_v4().simple()),
            "@context": credential["@context"],
            "type": credential["type"],
            "issuer": credential["issuer"],
            "issuanceDate": credential["issuanceDate"],
            "expirationDate": credential["expirationDate"],
            "credentialSubject": subject,
        }
    }))
}
