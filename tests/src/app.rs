use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use certificate_service::config::LogFormat;
use certificate_service::{Application, Config};
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// The service binary cargo built for this workspace.
pub fn binary() -> PathBuf {
    if let Ok(path) = std::env::var("CERTIFICATE_SERVICE_BIN") {
        return path.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug/certificate-service")
}

/// A running service and everything it logged: built in this process on
/// port 0 ([`TestApp::spawn`]), or the real binary ([`TestApp::process`])
/// for the tests that signal or kill it.
pub struct TestApp {
    running: Running,
    pub port: u16,
    pub env: Vec<(String, String)>,
    logs: Logs,
}

enum Running {
    Process(Child),
    /// The application's own thread and actix runtime, and what stops it.
    InProcess {
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

/// The lines a process logged; for an application built in this process,
/// the lines of this test process from its start on (nextest runs each test
/// in a process of its own, so they are the application's).
#[derive(Clone)]
struct Logs {
    lines: Arc<Mutex<Vec<String>>>,
    from: usize,
}

/// An answer as it came: status, headers (lowercase names), bytes.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
    pub request_id: Option<String>,
}

/// The contract's example request, for a fresh learner and course.
pub fn contract_body() -> Value {
    json!({
        "userId": uuid::Uuid::new_v4().to_string(),
        "courseId": format!("do_{}", uuid::Uuid::new_v4().simple()),
        "courseName": "Introduction to Programming",
        "firstName": "John",
        "lastName": "Doe",
        "issuanceDate": "2025-10-13T00:00:00.000Z",
        "expirationDate": "2026-10-13T00:00:00.000Z"
    })
}

pub fn command(env: &[(String, String)], args: &[&str]) -> Command {
    let mut command = Command::new(binary());
    command.args(args);
    // Nothing of the shell's reaches the service, whatever variables it
    // reads now or later: only what the test sets, and the search path.
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(with_test_defaults(env));
    command
}

/// Port 0, a small server, JSON logs, unless the test sets them.
fn with_test_defaults(env: &[(String, String)]) -> Vec<(String, String)> {
    let defaults = [("PORT", "0"), ("HTTP_WORKERS", "2"), ("DB_POOL_SIZE", "8"), ("LOG_FORMAT", "json")];
    let set: Vec<(&str, &str)> = env.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    crate::with(defaults.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect(), &set)
}

/// The log of the applications built in this process, installed once, in
/// the production format (certificate_service::logs).
fn in_process_log() -> Arc<Mutex<Vec<String>>> {
    static LINES: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    LINES
        .get_or_init(|| {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let sink = LineSink(lines.clone());
            let filter = tracing_subscriber::EnvFilter::new("info");
            let _ = certificate_service::logs::install(LogFormat::Json, filter, move || sink.clone());
            lines
        })
        .clone()
}

/// Writes each line the subscriber formats into the shared log.
#[derive(Clone)]
struct LineSink(Arc<Mutex<Vec<String>>>);

impl std::io::Write for LineSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(bytes);
        self.0.lock().unwrap().extend(text.lines().map(str::to_owned));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl TestApp {
    /// Builds the application in this process, on a thread and actix
    /// runtime of its own, and returns once it listens; dropping it stops it
    /// as SIGTERM would.
    pub async fn spawn(env: Vec<(String, String)>) -> Self {
        let lines = in_process_log();
        let from = lines.lock().unwrap().len();
        // A dropped application waits for its drain: short, unless the test says.
        let env_with_grace = [vec![("SHUTDOWN_GRACE_SECONDS".to_owned(), "2".to_owned())], env.clone()].concat();
        let config = Config::from_vars(with_test_defaults(&env_with_grace))
            .and_then(|config| config.check_servable().map(|()| config))
            .unwrap_or_else(|error| panic!("the test's configuration: {error:#}"));
        let (listening, port) = oneshot::channel();
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = match Application::build(config).await {
                    Ok(app) => app,
                    Err(error) => return drop(listening.send(Err(format!("{error:#}")))),
                };
                let _ = listening.send(Ok(app.port()));
                let stopped = async move {
                    let _ = stopped.await;
                    "the test's end"
                };
                app.run_until_stopped(stopped).await.expect("the application runs until stopped");
            })
        });
        let logs = Logs { lines, from };
        let port = match port.await.expect("the application's thread answers") {
            Ok(port) => port,
            Err(error) => panic!("the service did not build: {error}\n{}", logs.read().join("\n")),
        };
        let running = Running::InProcess { stop: Some(stop), thread: Some(thread) };
        Self { running, port, env, logs }
    }

    /// Starts the real binary and waits until it listens.
    pub async fn process(env: Vec<(String, String)>) -> Self {
        let mut child = command(&env, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e} (build it with cargo build)", binary().display()));
        let logs = Arc::new(Mutex::new(Vec::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = logs.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    keep_line(&mut logs.lock().unwrap(), line);
                }
            });
        }
        let mut app = Self { running: Running::Process(child), port: 0, env, logs: Logs { lines: logs, from: 0 } };
        app.port = app.wait_for_port().await;
        app
    }

    async fn wait_for_port(&mut self) -> u16 {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(port) = self.logs().iter().find_map(|line| listening_port(line)) {
                return port;
            }
            if let Ok(Some(status)) = self.child().try_wait() {
                panic!("the service exited with {status} before listening:\n{}", self.logs().join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the service did not listen within 30 s:\n{}", self.logs().join("\n"));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.read()
    }

    pub fn logged(&self, text: &str) -> bool {
        self.logs().iter().any(|line| line.contains(text))
    }

    /// Waits until a log line contains `text`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if self.logged(text) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sends a request and returns its status and JSON body; transport
    /// failures (the process was killed) come back as status 0.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let raw = self.send_raw(method, path, content_type, body, headers).await;
        Answer {
            status: raw.status,
            replayed: raw.header("idempotent-replayed").is_some(),
            request_id: raw.header("x-request-id").map(str::to_owned),
            body: serde_json::from_slice(&raw.body).unwrap_or(Value::Null),
        }
    }

    /// Sends a request and returns its status, headers and body as bytes
    /// (a PDF, say); status 0 when the transport failed.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> RawAnswer {
        let url = self.url(path);
        let (method, content_type) = (method.to_owned(), content_type.to_owned());
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(60)))
                .build()
                .into();
            let request = http_request(&method, &url, &content_type, &headers);
            let result = if method == "GET" {
                agent.run(request.body(Vec::new()).unwrap())
            } else {
                agent.run(request.body(body).unwrap())
            };
            match result {
                Ok(mut response) => RawAnswer {
                    status: response.status().as_u16(),
                    headers: response
                        .headers()
                        .iter()
                        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
                        .collect(),
                    body: response.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap_or_default(),
                },
                Err(_) => RawAnswer { status: 0, headers: Vec::new(), body: Vec::new() },
            }
        })
        .await
        .unwrap()
    }

    /// `POST /certificate/render-PDF` for `credential_id` and the built-in
    /// certificate: the PDF as it came.
    pub async fn print(&self, credential_id: &str) -> RawAnswer {
        let body = json!({ "credentialId": credential_id }).to_string().into_bytes();
        self.send_raw("POST", "/certificate/render-PDF", "application/json", body, &[]).await
    }

    /// POSTs a JSON body, as a client of the API would.
    pub async fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
        self.send("POST", path, "application/json", body.to_string().into_bytes(), headers).await
    }

    pub async fn issue(&self, body: &Value) -> Answer {
        self.issue_with(body, &[]).await
    }

    pub async fn issue_with(&self, body: &Value, headers: &[(&str, &str)]) -> Answer {
        self.send("POST", "/certificate/issue", "application/json", body.to_string().into_bytes(), headers).await
    }

    /// Asserts that `/metrics` has each of `lines` (`name{labels} value`) as a line.
    pub async fn assert_metrics(&self, lines: &[&str]) {
        let metrics = self.send_raw("GET", "/metrics", "text/plain", Vec::new(), &[]).await;
        let metrics = String::from_utf8_lossy(&metrics.body);
        for line in lines {
            assert!(metrics.lines().any(|reported| reported == *line), "{line} in\n{metrics}");
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, "application/json", Vec::new(), &[]).await
    }

    /// Waits until `/health/ready` answers 200 (the database and the broker answer).
    pub async fn wait_until_ready(&self) {
        for _ in 0..100 {
            if self.get("/health/ready").await.status == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the service did not become ready:\n{}", self.logs().join("\n"));
    }

    /// Runs an operator command of the binary with this app's environment;
    /// returns what it printed, or panics with its error.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = command(&self.env, args).output().expect("run the CLI");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child_ref().id()
    }

    fn child_ref(&self) -> &Child {
        match &self.running {
            Running::Process(child) => child,
            Running::InProcess { .. } => panic!("only a process can be signalled: start it with TestApp::process"),
        }
    }

    fn child(&mut self) -> &mut Child {
        match &mut self.running {
            Running::Process(child) => child,
            Running::InProcess { .. } => panic!("only a process can be signalled: start it with TestApp::process"),
        }
    }

    pub fn signal(&self, signal: &str) {
        Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status().expect("kill");
    }

    /// Waits for the process to exit after a signal.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child().try_wait().expect("wait for the service") {
                return status;
            }
            assert!(started.elapsed() < timeout, "the service did not exit:\n{}", self.logs().join("\n"));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn http_request(
    method: &str,
    url: &str,
    content_type: &str,
    headers: &[(String, String)],
) -> ureq::http::request::Builder {
    let mut builder = ureq::http::Request::builder().method(method).uri(url).header("Content-Type", content_type);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
}

/// How many lines of a process's log are kept: a test reads a few hundred;
/// a soak's replica logs millions, which would fill the memory.
const KEPT_LOG_LINES: usize = 100_000;

/// Keeps `line`, forgetting the oldest half once the log is full (the first
/// lines, which name the port, are read long before).
fn keep_line(lines: &mut Vec<String>, line: String) {
    if lines.len() >= KEPT_LOG_LINES {
        lines.drain(..KEPT_LOG_LINES / 2);
    }
    lines.push(line);
}

fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
    addr.rsplit(':').next()?.parse().ok()
}

impl Logs {
    fn read(&self) -> Vec<String> {
        self.lines.lock().unwrap()[self.from..].to_vec()
    }
}

/// A process is killed; an application in this process stops as on
/// SIGTERM, and the test waits for it, so that the next application on the
/// same database starts after it.
impl Drop for TestApp {
    fn drop(&mut self) {
        match &mut self.running {
            Running::Process(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Running::InProcess { stop, thread } => {
                drop(stop.take());
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}
