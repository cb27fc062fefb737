//! The envelope of docs/contract.md around every successful answer:
//! `success`, `statusCode`, `message` and `data`. Failures carry `errors`
//! instead of `data`, and are built in one place, [`crate::errors`].

use actix_web::http::StatusCode;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope<T: Serialize> {
    success: bool,
    status_code: u16,
    message: &'static str,
    data: T,
}

impl<T: Serialize> Envelope<T> {
    /// `data` answered with `status` (200, or 201 where NestJS created something).
    pub(crate) fn of(status: StatusCode, message: &'static str, data: T) -> Self {
        Self { success: true, status_code: status.as_u16(), message, data }
    }
}
