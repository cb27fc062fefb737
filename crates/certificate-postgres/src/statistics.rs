//! Planner statistics that follow a young table's growth (`StoreUpkeep`).
//!
//! Each pooled connection prepares a statement once and Postgres keeps its
//! generic plan after a few executions. A plan made while a table is empty
//! (a fresh deployment, whose tables autovacuum has not analyzed yet, or one
//! analyzed empty) reads the whole table on every execution however large it
//! grows, until the table's statistics change: autovacuum analyzes only after
//! its naptime (a minute by default) and its thresholds, and until then the
//! record statement seq-scans `certificate_issuance` per batch, and nearly
//! every other statement its table (BENCHMARKS.md, "Cold databases"; the
//! claim, an INSERT ... ON CONFLICT, is answered by its arbiter index). An ANALYZE invalidates every cached plan
//! of its table, so upkeep analyzes each of the service's tables once the
//! changes since its last ANALYZE reach its size then (it doubled, or was
//! rewritten), and at least `MIN_CHANGES`: a handful of ANALYZEs while a table
//! grows from empty to millions of rows, none once autovacuum keeps up.

use certificate_domain::ports::{AdminError, StoreUpkeep};
use diesel::sql_types::Text;
use diesel::QueryableByName;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};

use crate::sql::STALE_TABLES;
use crate::statement::Statement;
use crate::PgStore;

/// The tables whose plans matter to a request. The outbox's pending queue is
/// not among them: it stays small, and analyzing it as often as it churns
/// would only replan what reads it.
const KEPT: [&str; 5] = [
    "certificate_issuance",
    "user_course_certificate",
    "certificate_outbox",
    "certificate_idempotency_key",
    "certificate_revocation",
];

/// Changes before a table's first ANALYZE: plans on fewer rows than this
/// cost too little to matter.
const MIN_CHANGES: i64 = 500;

#[derive(QueryableByName)]
struct Stale {
    #[diesel(sql_type = Text)]
    name: String,
}

#[async_trait::async_trait]
impl StoreUpkeep for PgStore {
    async fn upkeep(&self) -> Result<Vec<String>, AdminError> {
        let kept: Vec<&str> = KEPT.to_vec();
        let stale: Vec<Stale> = self
            .db
            .with_conn(async |conn| Statement::new(STALE_TABLES).texts(&kept).bigint(MIN_CHANGES).load(conn).await)
            .await?;
        let mut analyzed = Vec::new();
        // Only names of the list: never SQL built from what the database answered.
        for table in KEPT.iter().filter(|table| stale.iter().any(|stale| stale.name == **table)) {
            // SKIP_LOCKED: another replica analyzing it now does the same work.
            let analyze = format!("ANALYZE (SKIP_LOCKED) {table}");
            self.db.with_conn(async |conn| conn.batch_execute(&analyze).await).await?;
            analyzed.push((*table).to_owned());
        }
        Ok(analyzed)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use certificate_domain::ports::{CertificateRepo, Claim, ClaimRequest, IssuedCertificate};
    use certificate_domain::IssuedCredential;
    use certificate_domain::{CertificateEvent, IssueRequest, RequestFields};
    use diesel::sql_types::Text;
    use diesel::QueryableByName;
    use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
    use serde_json::{json, Value};
    use uuid::Uuid;

    use super::*;
    use crate::testing::TestDatabase;
    use crate::{run_migrations, PgConfig};

    #[derive(QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        parameters: String,
    }

    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        plan: String,
    }

    /// One connection, so that every statement of the store is prepared on
    /// it and its plans can be read back there.
    fn store_on(database: &TestDatabase) -> PgStore {
        let config = PgConfig {
            url: database.url.clone(),
            pool_size: 1,
            timeout: Duration::from_secs(10),
            record_retry_window: Duration::from_secs(1),
            batch_lanes: 1,
            batch_max: 64,
            batch_wait: Duration::ZERO,
        };
        PgStore::new(config).expect("a pool")
    }

    async fn issue(store: &PgStore) {
        let user_id = Uuid::new_v4();
        let fields: RequestFields = serde_json::from_value(json!({
            "userId": user_id, "courseId": "do_plans", "courseName": "Plans", "firstName": "Ada", "lastName": "L",
            "issuanceDate": "2025-10-13T00:00:00.000Z", "expirationDate": "2099-10-13T00:00:00.000Z",
        }))
        .unwrap();
        let request = IssueRequest::parse(fields).unwrap();
        let claim = ClaimRequest {
            user_id,
            course_id: request.course_id(),
            idempotency_key: None,
            reissue: false,
            lease: Duration::from_secs(30),
            new_issuance_id: Uuid::new_v4(),
        };
        let Claim::Acquired(acquired) = store.claim(claim).await.unwrap() else { panic!("a fresh claim") };
        let certificate_id = format!("did:test:{}", Uuid::new_v4());
        let credential = IssuedCredential::read(json!({"credential": {"id": certificate_id}}).to_string()).unwrap();
        let event = CertificateEvent::certificate_issued(&request, &certificate_id, Uuid::new_v4(), chrono::Utc::now());
        let certificate = IssuedCertificate { request: &request, credential: &credential, revoke_previous: true };
        store.record_issued(acquired.token, certificate, &event).await.unwrap();
    }

    /// The scans of `certificate_issuance` in the generic plan of each
    /// statement the store prepared that names the table, as
    /// `EXPLAIN (FORMAT JSON) EXECUTE` shows them on the store's connection:
    /// (node type, whether it has an index condition).
    async fn issuance_scans(store: &PgStore) -> Vec<(String, bool)> {
        let plans = store
            .db
            .with_conn(async |conn| {
                conn.batch_execute("SET plan_cache_mode = force_generic_plan").await?;
                let prepared: Vec<Prepared> = diesel::sql_query(
                    "SELECT name, array_length(parameter_types, 1)::text AS parameters FROM pg_prepared_statements \
                     WHERE statement LIKE '%certificate_issuance%' AND statement NOT LIKE '%pg_prepared_statements%'",
                )
                .load(conn)
                .await?;
                let mut plans = Vec::new();
                for statement in prepared {
                    // Planning needs no values: NULL for each parameter.
                    let nulls = vec!["NULL"; statement.parameters.parse().unwrap_or(0)].join(", ");
                    let explain = format!("EXPLAIN (FORMAT JSON) EXECUTE {}({nulls})", statement.name);
                    let plan: Vec<Plan> = diesel::sql_query(explain).load(conn).await?;
                    plans.extend(plan.into_iter().map(|plan| plan.plan));
                }
                conn.batch_execute("RESET plan_cache_mode").await?;
                Ok(plans)
            })
            .await
            .unwrap();
        assert!(plans.len() >= 2, "the claim and record statements were prepared: {plans:?}");
        let mut scans = Vec::new();
        for plan in plans {
            collect_scans(&serde_json::from_str::<Value>(&plan).unwrap()[0]["Plan"], &mut scans);
        }
        scans
    }

    fn collect_scans(node: &Value, scans: &mut Vec<(String, bool)>) {
        let kind = node["Node Type"].as_str().unwrap_or_default();
        if node["Relation Name"] == "certificate_issuance" && kind != "ModifyTable" {
            scans.push((kind.to_owned(), node.get("Index Cond").is_some()));
        }
        for child in node["Plans"].as_array().into_iter().flatten() {
            collect_scans(child, scans);
        }
    }

    /// BENCHMARKS.md, "Cold databases": plans cached on an empty-analyzed
    /// table keep scanning it whole as it grows; upkeep's ANALYZE replans them
    /// onto the unique indexes.
    #[tokio::test(flavor = "multi_thread")]
    async fn after_upkeep_the_plans_cached_on_an_empty_table_reach_it_only_through_an_index() {
        let database = TestDatabase::create().await;
        run_migrations(&database.url).await.expect("migrations");
        TestDatabase::execute(&database, "ANALYZE").await;
        let store = store_on(&database);
        store
            .db
            .with_conn(async |conn| conn.batch_execute("SET plan_cache_mode = force_generic_plan").await)
            .await
            .unwrap();
        issue(&store).await; // the first execution makes (and caches) each generic plan, on the empty table
        store.db.with_conn(async |conn| conn.batch_execute("RESET plan_cache_mode").await).await.unwrap();
        TestDatabase::execute(
            &database,
            "INSERT INTO certificate_issuance (\"userId\", \"courseId\", claim_token, state, lease_until, \
                 issuance_id, certificate_id) SELECT gen_random_uuid(), 'do_' || (g % 50), gen_random_uuid(), \
                 'issued', now(), gen_random_uuid(), 'did:test:' || g FROM generate_series(1, 20000) g; \
                 SELECT pg_stat_force_next_flush()",
        )
        .await;

        let cold = issuance_scans(&store).await;
        assert!(cold.iter().any(|(kind, _)| kind == "Seq Scan"), "the cached plans scan the table: {cold:?}");

        // The inserts reach the statistics when their connection next reports.
        let started = std::time::Instant::now();
        while !store.upkeep().await.unwrap().contains(&"certificate_issuance".to_owned()) {
            assert!(started.elapsed() < Duration::from_secs(30), "upkeep never analyzed certificate_issuance");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let kept = issuance_scans(&store).await;
        assert!(
            !kept.is_empty() && kept.iter().all(|(kind, by_index)| kind.starts_with("Index") && *by_index),
            "{kept:?}"
        );
        issue(&store).await;
        assert!(store.upkeep().await.unwrap().is_empty(), "nothing to refresh until the table grows again");
    }
}
