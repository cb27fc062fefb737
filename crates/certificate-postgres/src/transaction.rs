//! A transaction that spans more than database work: the relay's batch stays
//! locked while it is published. A transaction that does not commit (an
//! error, a cancelled future) takes its connection out of the pool and closes
//! it, so the server rolls back and unlocks, and no pooled connection is ever
//! handed out inside a transaction.

use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use crate::db::Db;
use crate::error::{self, DbError};

pub(crate) struct Transaction {
    conn: Option<Object<AsyncPgConnection>>,
}

impl Transaction {
    /// `begin` is the BEGIN statement, and any `SET LOCAL` that goes with it.
    pub(crate) async fn begin(db: &Db, begin: &'static str) -> Result<Self, DbError> {
        let conn = db.bounded(db.connection()).await?;
        // Held by the transaction before BEGIN is sent: a BEGIN that fails or
        // times out may still have started a transaction on the server.
        let mut tx = Self { conn: Some(conn) };
        tx.run(db, async |conn| conn.batch_execute(begin).await).await?;
        Ok(tx)
    }

    /// Runs `work` inside the transaction, within the database's time bound.
    pub(crate) async fn run<T, F>(&mut self, db: &Db, work: F) -> Result<T, DbError>
    where
        F: AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, diesel::result::Error>,
    {
        let conn = self.conn.as_mut().expect("an open transaction holds its connection");
        db.bounded(async { work(conn).await.map_err(error::classify) }).await
    }

    pub(crate) async fn commit(mut self, db: &Db) -> Result<(), DbError> {
        self.run(db, async |conn| conn.batch_execute("COMMIT").await).await?;
        drop(self.conn.take());
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(Object::take(conn));
        }
    }
}
