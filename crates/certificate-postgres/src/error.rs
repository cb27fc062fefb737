//! How a failed database call is told: an outage (worth retrying, HTTP 503)
//! or a refused statement, with diesel's error kept as the source.

use certificate_domain::ports::{
    cause, cause_from, AdminError, Cause, GaugeError, JobStoreError, OutboxError, RepoError, RevocationQueueError,
    StandingError, StatusListError, TemplateStoreError, WalletStoreError,
};
use diesel::result::{DatabaseErrorKind, Error};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::BuildError),
    #[error("database unavailable: {0}")]
    Unavailable(#[from] diesel::ConnectionError),
    #[error("migration failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A failed database call, before it is told as the error of the port that made it.
#[derive(Debug, Clone)]
pub(crate) enum DbError {
    Unavailable(Cause),
    Failed(Cause),
}

impl DbError {
    pub(crate) fn unavailable(message: &str) -> Self {
        DbError::Unavailable(cause_from(message))
    }
}

/// Each port on the database tells an outage and a refused statement apart.
macro_rules! told_as {
    ($($port_error:ident),*) => {$(
        impl From<DbError> for $port_error {
            fn from(error: DbError) -> Self {
                match error {
                    DbError::Unavailable(cause) => $port_error::Unavailable(cause),
                    DbError::Failed(cause) => $port_error::Failed(cause),
                }
            }
        }
    )*};
}

told_as!(
    RepoError,
    OutboxError,
    RevocationQueueError,
    AdminError,
    GaugeError,
    TemplateStoreError,
    StatusListError,
    StandingError,
    WalletStoreError,
    JobStoreError
);

/// Messages Postgres sends while it shuts down or starts: the database is
/// going away or not there yet, not a bad query.
const UNAVAILABLE_MESSAGES: [&str; 3] = ["terminating connection", "the database system is", "connection closed"];

pub(crate) fn classify(error: Error) -> DbError {
    let unavailable = match &error {
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection, _)
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => UNAVAILABLE_MESSAGES.iter().any(|m| info.message().contains(m)),
        _ => false,
    };
    if unavailable {
        DbError::Unavailable(cause(error))
    } else {
        DbError::Failed(cause(error))
    }
}
