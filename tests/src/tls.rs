//! HTTPS on loopback in front of a service under test
//! (tests/verifier/tls-proxy.mjs), with a certificate for `localhost` made
//! here by openssl: did:web resolvers fetch `https://` only, and a verifier
//! process is told to trust the certificate (NODE_EXTRA_CA_CERTS).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

pub struct TlsFront {
    pub port: u16,
    certificate: PathBuf,
    child: Child,
    upstream: ChildStdin,
}

impl TlsFront {
    /// Listening, not yet forwarding: [`TlsFront::forward_to`] says where.
    pub fn start() -> Self {
        Self::start_mounting(None)
    }

    /// The same, standing for a proxy that serves the service under
    /// `mount` (`/certs`): `/certs/x` reaches it as `/x`, other paths as they are.
    pub fn start_mounted_at(mount: &str) -> Self {
        Self::start_mounting(Some(mount))
    }

    fn start_mounting(mount: Option<&str>) -> Self {
        let dir = std::env::temp_dir().join(format!("tls-front-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, certificate) = (dir.join("key.pem"), dir.join("certificate.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
            .args(["-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .output()
            .expect("openssl runs");
        assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier/tls-proxy.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg(&key)
            .arg(&certificate)
            .args(mount)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = serde_json::from_str::<serde_json::Value>(&line).ok().and_then(|answer| answer["port"].as_u64());
        let port = u16::try_from(port.unwrap_or_else(|| panic!("tls-proxy.mjs printed {line:?}"))).unwrap();
        let upstream = child.stdin.take().unwrap();
        Self { port, certificate, child, upstream }
    }

    /// Forwards every request from now on to `base_url` (`http://127.0.0.1:PORT`).
    pub fn forward_to(&mut self, base_url: &str) {
        writeln!(self.upstream, "{base_url}").unwrap();
        self.upstream.flush().unwrap();
    }

    /// The certificate a client must trust.
    pub fn certificate(&self) -> &Path {
        &self.certificate
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.certificate.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
