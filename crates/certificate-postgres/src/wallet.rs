//! Wallet delivery on Postgres: `wallet_offer`, `wallet_grant`,
//! `wallet_nonce` and `wallet_copy`. Each step is one statement, so that
//! two replicas answering one wallet (or two wallets racing for one secret)
//! never both win; a copy is recorded with its event in the outbox.

use async_trait::async_trait;
use certificate_domain::model::{SecretDigest, WalletCopy, WalletGrant, WalletOffer};
use certificate_domain::ports::{WalletStore, WalletStoreError};
use certificate_domain::CertificateEvent;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::sql::{
    ADD_WALLET_NONCE, ADD_WALLET_OFFER, RECORD_WALLET_COPY, REDEEM_WALLET_OFFER, REMOVE_EXPIRED_WALLET_ROWS,
    SELECT_WALLET_COPY, SELECT_WALLET_GRANT, SELECT_WALLET_HOLDERS, SELECT_WALLET_OFFER, USE_WALLET_NONCE,
    WRONG_TRANSACTION_CODE,
};
use crate::statement::Statement;
use crate::PgStore;

/// A digest as the tables keep it: 64 lowercase hex digits.
fn hex(digest: &SecretDigest) -> String {
    digest.0.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn digest(hex: &str) -> Option<SecretDigest> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|at| hex.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect();
    bytes?.try_into().ok().map(SecretDigest)
}

#[derive(QueryableByName)]
struct OfferRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = Text)]
    transaction_code_digest: String,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    attempts_left: i64,
    #[diesel(sql_type = Bool)]
    redeemed: bool,
}

#[derive(QueryableByName)]
struct AttemptsRow {
    #[diesel(sql_type = BigInt)]
    attempts_left: i64,
}

#[derive(QueryableByName)]
struct RedeemedRow {
    #[diesel(sql_type = SqlUuid)]
    #[allow(dead_code, reason = "only the row's presence is read")]
    offer_id: Uuid,
}

#[derive(QueryableByName)]
struct GrantRow {
    #[diesel(sql_type = SqlUuid)]
    offer_id: Uuid,
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct NonceRow {
    #[diesel(sql_type = Bool)]
    fresh: bool,
}

#[derive(QueryableByName)]
struct InsertedRow {
    #[diesel(sql_type = BigInt)]
    inserted: i64,
}

#[derive(QueryableByName)]
struct CopyRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    certificate_id: String,
    #[diesel(sql_type = SqlUuid)]
    offer_id: Uuid,
    #[diesel(sql_type = Text)]
    holder: String,
    #[diesel(sql_type = Text)]
    credential: String,
    #[diesel(sql_type = Timestamptz)]
    claimed_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = Text)]
    holder: String,
}

#[derive(QueryableByName)]
struct RemovedRow {
    #[diesel(sql_type = BigInt)]
    removed: i64,
}

#[async_trait]
impl WalletStore for PgStore {
    async fn add_offer(&self, offer: &WalletOffer) -> Result<(), WalletStoreError> {
        let (secret, code) = (hex(&offer.secret), offer.transaction_code.as_ref().map(hex).unwrap_or_default());
        let run = async |conn: &mut _| {
            Statement::new(ADD_WALLET_OFFER)
                .uuid(offer.id)
                .text(&secret)
                .text(&offer.certificate_id)
                .text(&code)
                .timestamptz(offer.expires_at)
                .bigint(i64::from(offer.attempts_left))
                .execute(conn)
                .await
        };
        self.db.with_conn(run).await?;
        Ok(())
    }

    async fn offer(&self, secret: &SecretDigest) -> Result<Option<WalletOffer>, WalletStoreError> {
        let secret_hex = hex(secret);
        let select = async |conn: &mut _| Statement::new(SELECT_WALLET_OFFER).text(&secret_hex).load(conn).await;
        let rows: Vec<OfferRow> = self.db.with_conn(select).await?;
        Ok(rows.into_iter().next().map(|row| WalletOffer {
            id: row.id,
            certificate_id: row.certificate_id,
            secret: *secret,
            transaction_code: digest(&row.transaction_code_digest),
            expires_at: row.expires_at,
            attempts_left: u8::try_from(row.attempts_left).unwrap_or(u8::MAX),
            redeemed: row.redeemed,
        }))
    }

    async fn wrong_transaction_code(&self, offer_id: Uuid) -> Result<u8, WalletStoreError> {
        let run = async |conn: &mut _| Statement::new(WRONG_TRANSACTION_CODE).uuid(offer_id).load(conn).await;
        let rows: Vec<AttemptsRow> = self.db.with_conn(run).await?;
        Ok(rows.as_slice().first().map_or(0, |row| u8::try_from(row.attempts_left).unwrap_or(u8::MAX)))
    }

    async fn redeem(&self, offer_id: Uuid, grant: &WalletGrant, now: DateTime<Utc>) -> Result<bool, WalletStoreError> {
        let token = hex(&grant.token);
        let run = async |conn: &mut _| {
            Statement::new(REDEEM_WALLET_OFFER)
                .uuid(offer_id)
                .timestamptz(now)
                .text(&token)
                .timestamptz(grant.expires_at)
                .load(conn)
                .await
        };
        let rows: Vec<RedeemedRow> = self.db.with_conn(run).await?;
        Ok(!rows.is_empty())
    }

    async fn grant(&self, token: &SecretDigest, now: DateTime<Utc>) -> Result<Option<WalletGrant>, WalletStoreError> {
        let token_hex = hex(token);
        let select =
            async |conn: &mut _| Statement::new(SELECT_WALLET_GRANT).text(&token_hex).timestamptz(now).load(conn).await;
        let rows: Vec<GrantRow> = self.db.with_conn(select).await?;
        Ok(rows.into_iter().next().map(|row| WalletGrant {
            token: *token,
            offer_id: row.offer_id,
            certificate_id: row.certificate_id,
            expires_at: row.expires_at,
        }))
    }

    async fn add_nonce(&self, nonce: &SecretDigest, expires_at: DateTime<Utc>) -> Result<(), WalletStoreError> {
        let nonce = hex(nonce);
        let run = async |conn: &mut _| {
            Statement::new(ADD_WALLET_NONCE).text(&nonce).timestamptz(expires_at).execute(conn).await
        };
        self.db.with_conn(run).await?;
        Ok(())
    }

    async fn use_nonce(&self, nonce: &SecretDigest, now: DateTime<Utc>) -> Result<bool, WalletStoreError> {
        let nonce = hex(nonce);
        let run = async |conn: &mut _| Statement::new(USE_WALLET_NONCE).text(&nonce).timestamptz(now).load(conn).await;
        let rows: Vec<NonceRow> = self.db.with_conn(run).await?;
        Ok(rows.as_slice().first().is_some_and(|row| row.fresh))
    }

    async fn record_copy(&self, copy: &WalletCopy, event: &CertificateEvent) -> Result<WalletCopy, WalletStoreError> {
        let record = async |conn: &mut _| {
            Statement::new(RECORD_WALLET_COPY)
                .uuid(copy.id)
                .text(&copy.certificate_id)
                .uuid(copy.offer_id)
                .text(&copy.holder)
                .text(&copy.credential)
                .timestamptz(copy.claimed_at)
                .uuid(event.event_id)
                .text(&event.key)
                .uuid(event.user_id)
                .text(&event.payload)
                .timestamptz(event.created_at)
                .timestamptz(event.due_at)
                .load(conn)
                .await
        };
        let rows: Vec<InsertedRow> = self.db.with_conn(record).await?;
        if rows.as_slice().first().is_some_and(|row| row.inserted > 0) {
            return Ok(copy.clone());
        }
        let select = async |conn: &mut _| {
            Statement::new(SELECT_WALLET_COPY).uuid(copy.offer_id).text(&copy.holder).load(conn).await
        };
        let rows: Vec<CopyRow> = self.db.with_conn(select).await?;
        let row = rows.into_iter().next().ok_or_else(|| {
            WalletStoreError::Failed(certificate_domain::ports::cause_from("a copy that conflicted is gone"))
        })?;
        Ok(WalletCopy {
            id: row.id,
            certificate_id: row.certificate_id,
            offer_id: row.offer_id,
            holder: row.holder,
            credential: row.credential,
            claimed_at: row.claimed_at,
        })
    }

    async fn holders(&self, certificate_id: &str) -> Result<Vec<String>, WalletStoreError> {
        let select = async |conn: &mut _| Statement::new(SELECT_WALLET_HOLDERS).text(certificate_id).load(conn).await;
        let rows: Vec<HolderRow> = self.db.with_conn(select).await?;
        Ok(rows.into_iter().map(|row| row.holder).collect())
    }

    async fn remove_expired(&self, before: DateTime<Utc>) -> Result<u64, WalletStoreError> {
        let run = async |conn: &mut _| Statement::new(REMOVE_EXPIRED_WALLET_ROWS).timestamptz(before).load(conn).await;
        let rows: Vec<RemovedRow> = self.db.with_conn(run).await?;
        Ok(rows.as_slice().first().map_or(0, |row| row.removed.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_stored_as_hex_and_read_back() {
        let secret = SecretDigest::of("a secret");
        assert_eq!(hex(&secret).len(), 64);
        assert_eq!(digest(&hex(&secret)), Some(secret));
        assert_eq!(digest(""), None);
    }
}
