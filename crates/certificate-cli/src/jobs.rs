//! `jobs submit FILE --url URL`, `jobs status ID --url URL` and `jobs cancel
//! ID --url URL`: an operator's client of a running service's bulk routes. Submitting shows a progress
//! bar on standard error until the job ends, prints the summary, and writes
//! the rows that failed to `FILE.failed.csv` (or `.json`), in the file's own
//! form and columns, so that they can be submitted again once fixed.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

/// Where the service is, and the API token if it asks one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub url: String,
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobsCommand {
    Submit { file: PathBuf, service: Service },
    Status { job_id: String, service: Service },
    Cancel { job_id: String, service: Service },
}

const POLL: Duration = Duration::from_millis(500);
const BAR_WIDTH: usize = 30;

impl Service {
    /// One agent for the command's every request, so that the progress
    /// bar's polls reuse its connection.
    fn agent() -> &'static ureq::Agent {
        static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
        AGENT.get_or_init(|| ureq::Agent::config_builder().http_status_as_error(false).build().into())
    }

    fn authorized<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    fn get(&self, path: &str, accept: &str) -> Result<(u16, String), String> {
        let request = self.authorized(Self::agent().get(format!("{}{path}", self.url))).header("Accept", accept);
        self.answered(request.call())
    }

    /// The job's summary (no rows).
    fn summary(&self, job_path: &str) -> Result<Value, String> {
        job_data(self.get(&format!("{job_path}?rows=false"), "application/json")?)
    }

    /// Cancels the job; its summary once cancelled.
    fn cancel(&self, job_path: &str) -> Result<Value, String> {
        let request = self.authorized(Self::agent().post(format!("{}{job_path}/cancel", self.url)));
        job_data(self.answered(request.send_empty())?)
    }

    /// A sent request's status and body, or why it was not answered.
    fn answered(&self, sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<(u16, String), String> {
        let mut answer = sent.map_err(|error| format!("{}: {error}", self.url))?;
        let body = answer.body_mut().read_to_string().map_err(|error| error.to_string())?;
        Ok((answer.status().as_u16(), body))
    }
}

/// A job route's `data`, or its refusal's status and message.
fn job_data((status, body): (u16, String)) -> Result<Value, String> {
    let answer: Value = serde_json::from_str(&body).map_err(|_| format!("{status}: {body}"))?;
    if status != 200 {
        return Err(format!("{status}: {}", answer["message"].as_str().unwrap_or(&body)));
    }
    Ok(answer["data"].clone())
}

/// Runs a jobs command; answers what to print on standard output.
pub fn run_jobs(command: &JobsCommand) -> Result<String, String> {
    match command {
        JobsCommand::Status { job_id, service } => {
            Ok(summary_line(&service.summary(&format!("/certificate/jobs/{job_id}"))?))
        }
        JobsCommand::Cancel { job_id, service } => {
            Ok(summary_line(&service.cancel(&format!("/certificate/jobs/{job_id}"))?))
        }
        JobsCommand::Submit { file, service } => submit(file, service),
    }
}

fn submit(file: &Path, service: &Service) -> Result<String, String> {
    let body = std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let json = file.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
    let content_type = if json { "application/json" } else { "text/csv" };
    let request = service.authorized(Service::agent().post(format!("{}/certificate/issue/bulk", service.url)));
    let (status, text) = service.answered(request.header("Content-Type", content_type).send(&body[..]))?;
    let answer: Value = serde_json::from_str(&text).map_err(|_| format!("{status}: {text}"))?;
    if status != 202 {
        return Err(refusal(status, &answer));
    }
    let job_path = answer["data"]["url"].as_str().ok_or("the service answered no job address")?.to_owned();
    eprintln!("job {} accepted: {}", answer["data"]["jobId"].as_str().unwrap_or("?"), rows(&answer["data"]["rows"]));
    let summary = loop {
        let summary = service.summary(&job_path)?;
        progress(&summary);
        if summary["state"] == "done" {
            eprintln!();
            break summary;
        }
        std::thread::sleep(POLL);
    };
    let mut said = summary_line(&summary);
    if summary["counts"]["failed"].as_u64().unwrap_or(0) > 0 {
        let (_, report) = service.get(&job_path, "text/csv")?;
        let written = write_failed(file, &body, json, &report)?;
        said.push_str(&format!("\nthe failed rows, to submit again once fixed: {}", written.display()));
    }
    Ok(said)
}

/// A 400's rows and fields, one a line; any other refusal's message.
fn refusal(status: u16, answer: &Value) -> String {
    let message = answer["message"].as_str().unwrap_or("refused");
    let rows = answer["errors"].as_array().into_iter().flatten().map(|error| {
        let row = error["row"].as_u64().map_or(String::new(), |row| format!("row {row}: "));
        format!("\n  {row}{} {}", error["field"].as_str().unwrap_or(""), error["message"].as_str().unwrap_or(""))
    });
    format!("{status}: {message}{}", rows.collect::<String>())
}

fn progress(summary: &Value) {
    let counts = &summary["counts"];
    let (total, pending) = (counts["total"].as_u64().unwrap_or(0), counts["pending"].as_u64().unwrap_or(0));
    let done = total - pending.min(total);
    let filled = if total == 0 { BAR_WIDTH } else { (done as usize * BAR_WIDTH) / total as usize };
    eprint!(
        "\r[{}{}] {done}/{total} rows, {} rows/s  ",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        summary["rowsPerSecond"]
    );
    let _ = std::io::stderr().flush();
}

fn summary_line(summary: &Value) -> String {
    let counts = &summary["counts"];
    format!(
        "job {}: {}; {}: {} issued, {} already issued, {} failed, {} cancelled, {} pending; {} s, {} rows/s",
        summary["jobId"].as_str().unwrap_or("?"),
        summary["state"].as_str().unwrap_or("?"),
        rows(&counts["total"]),
        counts["issued"],
        counts["alreadyIssued"],
        counts["failed"],
        counts["cancelled"],
        counts["pending"],
        summary["elapsedSeconds"],
        summary["rowsPerSecond"],
    )
}

/// "1 row", "2 rows".
fn rows(count: &Value) -> String {
    match count.as_u64() {
        Some(1) => "1 row".to_owned(),
        _ => format!("{count} rows"),
    }
}

/// The failed rows of the report, in the submitted file's form.
fn write_failed(file: &Path, body: &[u8], json: bool, report: &str) -> Result<PathBuf, String> {
    let mut failed = HashSet::new();
    let mut rows = csv::Reader::from_reader(report.as_bytes());
    for record in rows.records().flatten() {
        if record.get(3) == Some("failed") {
            failed.extend(record.get(0).and_then(|row| row.parse::<usize>().ok()));
        }
    }
    let target = file.with_extension(if json { "failed.json" } else { "failed.csv" });
    let written = if json {
        let requests: Vec<Value> = serde_json::from_slice(body).map_err(|error| error.to_string())?;
        let kept: Vec<&Value> = (1..).zip(&requests).filter(|(row, _)| failed.contains(row)).map(|(_, r)| r).collect();
        serde_json::to_vec_pretty(&kept).map_err(|error| error.to_string())?
    } else {
        let mut reader = csv::Reader::from_reader(body);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(reader.headers().map_err(|error| error.to_string())?).map_err(|error| error.to_string())?;
        for (row, record) in (1..).zip(reader.records()) {
            let record = record.map_err(|error| error.to_string())?;
            if failed.contains(&row) {
                writer.write_record(&record).map_err(|error| error.to_string())?;
            }
        }
        writer.into_inner().map_err(|error| error.to_string())?
    };
    std::fs::write(&target, written).map_err(|error| format!("{}: {error}", target.display()))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_is_a_row() {
        let summary = serde_json::json!({"jobId": "j", "state": "done", "counts": {"total": 1, "issued": 1,
            "alreadyIssued": 0, "failed": 0, "cancelled": 0, "pending": 0}, "elapsedSeconds": 0.1, "rowsPerSecond": 10.0});
        assert_eq!(
            summary_line(&summary),
            "job j: done; 1 row: 1 issued, 0 already issued, 0 failed, 0 cancelled, 0 pending; 0.1 s, 10.0 rows/s"
        );
        assert_eq!(rows(&serde_json::json!(2)), "2 rows");
    }

    const REPORT: &str = "row,userId,courseId,outcome,certificateId,error\n\
                          1,u1,do_1,issued,urn:uuid:1,\n\
                          2,u2,do_1,failed,,the credential service answered 500\n\
                          3,u3,do_1,failed,,the credential service answered 500\n";

    #[test]
    fn the_failed_rows_of_a_csv_are_written_in_its_own_columns_to_submit_again() {
        let file = std::env::temp_dir().join(format!("cohort-{}.csv", std::process::id()));
        let body = b"userId,courseId,courseName\nu1,do_1,\"Rust, for all\"\nu2,do_1,Intro\nu3,do_1,\"Line\nbreak\"\n";
        let written = write_failed(&file, body, false, REPORT).unwrap();
        assert_eq!(written, file.with_extension("failed.csv"));
        let text = std::fs::read_to_string(&written).unwrap();
        assert_eq!(text, "userId,courseId,courseName\nu2,do_1,Intro\nu3,do_1,\"Line\nbreak\"\n");
        std::fs::remove_file(written).unwrap();
    }

    #[test]
    fn the_failed_requests_of_a_json_array_are_written_as_an_array() {
        let file = std::env::temp_dir().join(format!("cohort-{}.json", std::process::id()));
        let body = br#"[{"userId": "u1"}, {"userId": "u2"}, {"userId": "u3"}]"#;
        let written = write_failed(&file, body, true, REPORT).unwrap();
        let kept: Vec<Value> = serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
        assert_eq!(kept, [serde_json::json!({"userId": "u2"}), serde_json::json!({"userId": "u3"})]);
        std::fs::remove_file(written).unwrap();
    }

    #[test]
    fn a_refusal_names_each_row_and_field() {
        let answer = serde_json::json!({"message": "2 rows break a rule; nothing was started", "errors": [
            {"row": 2, "field": "userId", "message": "must be a UUID"},
            {"row": 4, "field": "courseName", "message": "is required"}]});
        assert_eq!(
            refusal(400, &answer),
            "400: 2 rows break a rule; nothing was started\n  row 2: userId must be a UUID\n  row 4: courseName is required"
        );
    }
}
