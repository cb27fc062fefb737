use certificate_domain::ports::RepoError;
use diesel::result::{DatabaseErrorKind, Error};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::BuildError),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// Messages Postgres sends while it shuts down or starts: the database is
/// going away or not there yet, not a bad query.
const UNAVAILABLE_MESSAGES: [&str; 3] = ["terminating connection", "the database system is", "connection closed"];

pub(crate) fn classify(error: Error) -> RepoError {
    match &error {
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection, _)
        | Error::BrokenTransactionManager => RepoError::Unavailable(error.to_string()),
        Error::DatabaseError(_, info) if UNAVAILABLE_MESSAGES.iter().any(|m| info.message().contains(m)) => {
            RepoError::Unavailable(error.to_string())
        }
        _ => RepoError::Other(error.to_string()),
    }
}
