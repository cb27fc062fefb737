//! The HTTP clients that carry the adapter's calls. reqwest runs on the
//! caller's async runtime; ureq blocks, so its calls run on tokio's blocking
//! pool, which costs two thread hand-offs per call (measured in
//! BENCHMARKS.md). Both map failures to the same `UpstreamError`s.

use certificate_domain::ports::{cause, Refusal, Upstream, UpstreamError};
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

/// Whether a failed call may be sent again at once. A call that issues
/// nothing (a lookup, a revocation, a learner's DID) may be repeated
/// whatever happened. The credential issue call only when it certainly never
/// reached the service: after a dropped connection, a gateway's 502–504, a
/// timeout or an unreadable answer the credential may exist, and only a
/// lookup of its issuance tag (the domain's, never a second POST) can tell.
pub(crate) fn retryable(issues: bool, error: &UpstreamError) -> bool {
    match error {
        UpstreamError::Unreachable { .. } => true,
        _ if issues => false,
        UpstreamError::Refused { refusal, .. } => *refusal == Refusal::ByGateway,
        UpstreamError::AnswerLost { .. } | UpstreamError::Timeout { .. } | UpstreamError::InvalidResponse { .. } => {
            true
        }
    }
}

/// Request headers beyond the JSON ones (Sunbird RC's renderer reads
/// `templateid` and `Accept`).
pub(crate) type Headers = [(&'static str, String)];

/// An HTTP error status in the domain's words: 404 names nothing the
/// service knows; 502, 503 and 504 are what a gateway answers when the
/// service behind it failed it (after it may have forwarded the call).
pub(crate) fn refused(upstream: Upstream, status: u16) -> UpstreamError {
    let refusal = match status {
        404 => Refusal::NotFound,
        502..=504 => Refusal::ByGateway,
        _ => Refusal::Other,
    };
    UpstreamError::Refused { upstream, answer: format!("HTTP {status}"), refusal }
}

fn send_blocking(
    agent: &ureq::Agent,
    upstream: Upstream,
    method: Method,
    url: &str,
    body: &Value,
    headers: &Headers,
) -> Result<String, UpstreamError> {
    let sent = match method {
        Method::Post => with_headers(agent.post(url), headers).send_json(body),
        Method::Get => with_headers(agent.get(url), headers).call(),
        Method::Delete => with_headers(agent.delete(url), headers).call(),
    };
    let mut response = sent.map_err(|e| transport_error(upstream, e))?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(refused(upstream, status));
    }
    if method == Method::Delete {
        return Ok(String::new());
    }
    response.body_mut().read_to_string().map_err(|error| match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        other => UpstreamError::InvalidResponse { upstream, source: cause(other) },
    })
}

fn with_headers<B>(mut request: ureq::RequestBuilder<B>, headers: &Headers) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request
}

fn transport_error(upstream: Upstream, error: ureq::Error) -> UpstreamError {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => UpstreamError::Timeout { upstream },
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => UpstreamError::Timeout { upstream },
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            UpstreamError::Unreachable { upstream, source: cause(error) }
        }
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::AddrNotAvailable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::HostUnreachable
            ) =>
        {
            UpstreamError::Unreachable { upstream, source: cause(io) }
        }
        // Anything else may have happened after the request was written.
        other => UpstreamError::AnswerLost { upstream, source: cause(other) },
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

    /// One call, unretried: the answer's text as it came (empty for a DELETE).
    pub(crate) async fn send(
        &self,
        upstream: Upstream,
        method: Method,
        url: &str,
        body: &Value,
        headers: &Headers,
    ) -> Result<String, UpstreamError> {
        match self {
            Transport::Reqwest(client) => send_async(client, upstream, method, url, body, headers).await,
            Transport::Ureq(agent) => {
                let (agent, url, body, headers) = (agent.clone(), url.to_owned(), body.clone(), headers.to_vec());
                let span = tracing::Span::current();
                tokio::task::spawn_blocking(move || {
                    span.in_scope(|| send_blocking(&agent, upstream, method, &url, &body, &headers))
                })
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
    headers: &Headers,
) -> Result<String, UpstreamError> {
    let mut request = match method {
        Method::Post => client.post(url).json(body),
        Method::Get => client.get(url),
        Method::Delete => client.delete(url),
    };
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(|e| reqwest_error(upstream, e))?;
    let status = response.status().as_u16();
    if status >= 400 {
        return Err(refused(upstream, status));
    }
    if method == Method::Delete {
        return Ok(String::new());
    }
    response.text().await.map_err(|e| reqwest_error(upstream, e))
}

fn reqwest_error(upstream: Upstream, error: reqwest::Error) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout { upstream }
    } else if error.is_connect() {
        UpstreamError::Unreachable { upstream, source: cause(error) }
    } else {
        // The request may have been written before the connection failed.
        UpstreamError::AnswerLost { upstream, source: cause(error) }
    }
}
