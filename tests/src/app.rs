use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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

/// A running `certificate-service` process and everything it logged.
pub struct TestApp {
    child: Child,
    pub port: u16,
    pub env: Vec<(String, String)>,
    logs: Arc<Mutex<Vec<String>>>,
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
    command.env("PORT", "0").env("HTTP_WORKERS", "2").env("DB_POOL_SIZE", "8").env("LOG_FORMAT", "json");
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

impl TestApp {
    /// Starts the binary and waits until it listens.
    pub async fn spawn(env: Vec<(String, String)>) -> Self {
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
                    logs.lock().unwrap().push(line);
                }
            });
        }
        let mut app = Self { child, port: 0, env, logs };
        app.port = app.wait_for_port().await;
        app
    }

    async fn wait_for_port(&mut self) -> u16 {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(port) = self.logs().iter().find_map(|line| listening_port(line)) {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
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
        self.logs.lock().unwrap().clone()
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
        let url = self.url(path);
        let (method, content_type) = (method.to_owned(), content_type.to_owned());
        let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into();
            let request = http_request(&method, &url, &content_type, &headers);
            let result = if method == "GET" {
                agent.run(request.body(Vec::new()).unwrap())
            } else {
                agent.run(request.body(body).unwrap())
            };
            match result {
                Ok(mut response) => Answer {
                    status: response.status().as_u16(),
                    replayed: response.headers().contains_key("idempotent-replayed"),
                    request_id: response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
                    body: response.body_mut().read_json().unwrap_or(Value::Null),
                },
                Err(_) => Answer { status: 0, body: Value::Null, replayed: false, request_id: None },
            }
        })
        .await
        .unwrap()
    }

    pub async fn issue(&self, body: &Value) -> Answer {
        self.issue_with(body, &[]).await
    }

    pub async fn issue_with(&self, body: &Value, headers: &[(&str, &str)]) -> Answer {
        self.send("POST", "/certificate/issue", "application/json", body.to_string().into_bytes(), headers).await
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
        self.child.id()
    }

    pub fn signal(&self, signal: &str) {
        Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status().expect("kill");
    }

    /// Waits for the process to exit after a signal.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the service") {
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

fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"').collect();
    addr.rsplit(':').next()?.parse().ok()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
