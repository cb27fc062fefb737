//! A bulk body: read up to its limit, then its rows as the issue request's
//! fields, from CSV or a JSON array.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use certificate_domain::RequestFields;
use futures_util::StreamExt;
use serde_json::Value;

use crate::ApiError;

pub(super) enum Format {
    Csv,
    Json,
}

impl Format {
    pub(super) fn of(request: &HttpRequest) -> Result<Self, ApiError> {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
        let essence = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Ok(Format::Csv),
            "application/json" => Ok(Format::Json),
            _ => Err(ApiError::UnsupportedBulkMediaType),
        }
    }

    pub(super) fn rows(&self, body: &[u8]) -> Result<Vec<RequestFields>, ApiError> {
        match self {
            Format::Csv => csv_rows(body),
            Format::Json => match serde_json::from_slice::<Vec<Value>>(body) {
                Ok(rows) => Ok(rows.into_iter().map(fields_of).collect()),
                Err(_) => Err(ApiError::Body("must be a JSON array of issue requests")),
            },
        }
    }
}

/// An element of the array as fields; one that is no object has none (its
/// row is then refused, naming each required field).
fn fields_of(value: Value) -> RequestFields {
    match value {
        Value::Object(fields) => fields.into_iter().collect(),
        _ => RequestFields::default(),
    }
}

/// The body, or a 413 once it passes `limit`.
pub(super) async fn read(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::Body("cannot be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::BulkTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The columns a CSV row is read by: every text field of the issue request,
/// and `reissue` (`true` or `false`). Others are ignored, as the JSON
/// request's unknown fields are.
const TEXT_COLUMNS: [&str; 9] = [
    "userId",
    "courseId",
    "courseName",
    "firstName",
    "middleName",
    "lastName",
    "issuanceDate",
    "expirationDate",
    "issuedOn",
];

/// A spreadsheet's CSV may start with a byte order mark; it is not the
/// first column's name.
const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

fn csv_rows(body: &[u8]) -> Result<Vec<RequestFields>, ApiError> {
    let body = body.strip_prefix(BYTE_ORDER_MARK).unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::None).from_reader(body);
    let headers = reader.headers().map_err(|_| ApiError::Body("must be CSV with a header line"))?.clone();
    reader
        .records()
        .map(|record| {
            let record = record
                .map_err(|_| ApiError::Body("must be CSV: a line has a broken quote or another count of cells"))?;
            let cells = headers.iter().zip(record.iter()).filter(|(_, cell)| !cell.is_empty());
            Ok(cells
                .filter_map(|(column, cell)| {
                    let value = match column {
                        "reissue" => match cell {
                            "true" => Value::Bool(true),
                            "false" => Value::Bool(false),
                            other => Value::String(other.to_owned()),
                        },
                        _ if TEXT_COLUMNS.contains(&column) => Value::String(cell.to_owned()),
                        _ => return None,
                    };
                    Some((column.to_owned(), value))
                })
                .collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_row_is_the_issue_requests_fields_and_an_empty_cell_is_absent() {
        let csv = "userId,courseId,courseName,firstName,middleName,lastName,issuanceDate,expirationDate,reissue,note\n\
                   u-1,\"do,1\",\"Rust \"\"for\"\" all\",Ada,,Lovelace,2026-01-01,2027-01-01,true,ignored\n";
        let rows = csv_rows(csv.as_bytes()).unwrap();
        let row = &rows[0];
        assert_eq!(row.get("courseId"), Some(&Value::String("do,1".into())));
        assert_eq!(row.get("courseName"), Some(&Value::String("Rust \"for\" all".into())));
        assert_eq!(row.get("reissue"), Some(&Value::Bool(true)));
        assert!(row.get("middleName").is_none() && row.get("note").is_none());
    }

    #[test]
    fn a_spreadsheets_byte_order_mark_is_no_part_of_the_first_column() {
        let rows = csv_rows(b"\xef\xbb\xbfuserId,courseId\nu-1,do_1\n").unwrap();
        assert_eq!(rows[0].get("userId"), Some(&Value::String("u-1".into())));
    }

    #[test]
    fn a_broken_csv_is_refused_as_a_whole() {
        assert!(csv_rows(b"userId,courseId\nu-1\n").is_err(), "another count of cells");
        assert!(csv_rows(b"userId,courseId\n\"u-1,do\n").is_err(), "an open quote");
    }
}
