//! The HTTP clients that carry the adapter's calls. reqwest runs on the
//! caller's async runtime; ureq blocks, so its calls run on tokio's blocking
//! pool, which costs two thread hand-offs per call (measured in
//! BENCHMARKS.md). Both map failures to the same `UpstreamError`s.

use certificate_domain::ports::{cause, Upstream, UpstreamError};
use serde_json::Value;

use crate::UpstreamConfig;

/// Which HTTP client carries the calls (`UPSTREAM_CLIENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamClient {
    Reqwest,
    Ureq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Post,
    Get,
    Delete,
}

/// A POST is retried only where it certainly did not take effect upstream
/// (nothing was sent, or the service said it was not serving); a lookup and
/// a revocation can be repeated whatever happened.
pub(crate) fn retryable(method: Method, error: &UpstreamError) -> bool {
    match error {
        UpstreamError::Unreachable { .. } => true,
        UpstreamError::Rejected { status, .. } => matches!(status, 502..=504),
        UpstreamError::Timeout { .. } | UpstreamError::InvalidResponse { .. } => method != Method::Post,
    }
}

fn send_blocking(
    agent: &ureq::Agent,
    upstream: Upstream,
    method: Method,
    url: &str,
    body: &Value,
) -> Result<Value, UpstreamError> {
    let sent = match method {
        Method::Post => agent.post(url).send_json(body),
        Method::Get => agent.get(url).call(),
        Method::Delete => agent.delete(url).call(),
    };
    let mut response = sent.map_err(|e| transport_error(upstream, e))?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(UpstreamError::Rejected { upstream, status });
    }
    if method == Method::Delete {
        return Ok(Value::Null);
    }
    response.body_mut().read_json::<Value>().map_err(|error| match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        other => UpstreamError::InvalidResponse { upstream, source: cause(other) },
    })
}

fn transport_error(upstream: Upstream, error: ureq::Error) -> UpstreamError {
    match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => UpstreamError::Timeout { upstream },
        other => UpstreamError::Unreachable { upstream, source: cause(other) },
    }
}

pub(crate) enum Transport {
    Reqwest(reqwest::Client),
    Ureq(ureq::Agent),
}

impl Transport {
    pub(crate) fn new(config: &UpstreamConfig) -> Self {
        match config.client {
            UpstreamClient::Reqwest => Transport::Reqwest(
                reqwest::Client::builder()
                    .connect_timeout(config.connect_timeout)
                    .timeout(config.timeout)
                    .pool_max_idle_per_host(256)
                    .build()
                    .expect("a client without custom TLS settings always builds"),
            ),
            UpstreamClient::Ureq => Transport::Ureq(
                ureq::Agent::config_builder()
                    .timeout_connect(Some(config.connect_timeout))
                    .timeout_global(Some(config.timeout))
                    .http_status_as_error(false)
                    .max_idle_connections_per_host(256)
                    .build()
                    .into(),
            ),
        }
    }

    /// One call, unretried: the parsed JSON answer (`Null` for a DELETE).
    pub(crate) async fn send(
        &self,
        upstream: Upstream,
        method: Method,
        url: &str,
        body: &Value,
    ) -> Result<Value, UpstreamError> {
        match self {
            Transport::Reqwest(client) => send_async(client, upstream, method, url, body).await,
            Transport::Ureq(agent) => {
                let (agent, url, body) = (agent.clone(), url.to_owned(), body.clone());
                tokio::task::spawn_blocking(move || send_blocking(&agent, upstream, method, &url, &body))
                    .await
                    .unwrap_or_else(|join| Err(UpstreamError::Unreachable { upstream, source: cause(join) }))
            }
        }
    }
}

async fn send_async(
    client: &reqwest::Client,
    upstream: Upstream,
    method: Method,
    url: &str,
    body: &Value,
) -> Result<Value, UpstreamError> {
    let request = match method {
        Method::Post => client.post(url).json(body),
        Method::Get => client.get(url),
        Method::Delete => client.delete(url),
    };
    let response = request.send().await.map_err(|e| reqwest_error(upstream, e))?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(UpstreamError::Rejected { upstream, status });
    }
    if method == Method::Delete {
        return Ok(Value::Null);
    }
    let bytes = response.bytes().await.map_err(|e| reqwest_error(upstream, e))?;
    serde_json::from_slice(&bytes).map_err(|error| UpstreamError::InvalidResponse { upstream, source: cause(error) })
}

fn reqwest_error(upstream: Upstream, error: reqwest::Error) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout { upstream }
    } else {
        UpstreamError::Unreachable { upstream, source: cause(error) }
    }
}
