//! The database as every statement of this crate runs on it: the pool, and
//! the bound on one call. The group-commit lanes, the transactions and the
//! store's ports all take a [`Db`]; nothing here knows of the lanes.

use std::future::Future;
use std::time::Duration;

use certificate_domain::ports::cause;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::AsyncPgConnection;

use crate::error::{self, DbError};

#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool<AsyncPgConnection>,
    /// The bound on one database call.
    timeout: Duration,
}

impl Db {
    pub(crate) fn new(pool: Pool<AsyncPgConnection>, timeout: Duration) -> Self {
        Self { pool, timeout }
    }

    pub(crate) fn pool(&self) -> &Pool<AsyncPgConnection> {
        &self.pool
    }

    /// Runs `work` on a pooled connection within the bound.
    pub(crate) async fn with_conn<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, diesel::result::Error>,
    {
        self.bounded(async {
            let mut conn = self.connection().await?;
            work(&mut conn).await.map_err(error::classify)
        })
        .await
    }

    pub(crate) async fn connection(&self) -> Result<Object<AsyncPgConnection>, DbError> {
        self.pool.get().await.map_err(|e| DbError::Unavailable(cause(e)))
    }

    /// `work` within the bound on one database call.
    pub(crate) async fn bounded<T>(&self, work: impl Future<Output = Result<T, DbError>>) -> Result<T, DbError> {
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| Err(DbError::unavailable("the database did not answer in time")))
    }
}
