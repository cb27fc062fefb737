//! Hand-written SQL that each pooled connection prepares once and then reuses.
//!
//! diesel's `sql_query` is never cached: every call prepares its statement in
//! one round trip and runs it in another. [`Statement`] walks the same SQL
//! with the same binds but lets diesel's statement cache key it by its text,
//! so the hot path costs one round trip per statement.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid};
use diesel::QueryResult;
use uuid::Uuid;

enum Bind<'a> {
    Uuid(Uuid),
    Text(&'a str),
    Double(f64),
    Bool(bool),
    Timestamptz(DateTime<Utc>),
    BigInt(i64),
    BigInts(&'a [i64]),
    Texts(&'a [&'a str]),
    OptionalTimestamps(&'a [Option<DateTime<Utc>>]),
    Uuids(&'a [Uuid]),
    Bools(&'a [bool]),
    Doubles(&'a [f64]),
    Timestamps(&'a [DateTime<Utc>]),
}

impl Bind<'_> {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Bind::Uuid(value) => out.push_bind_param::<SqlUuid, _>(value),
            Bind::Text(value) => out.push_bind_param::<Text, _>(value),
            Bind::Double(value) => out.push_bind_param::<Double, _>(value),
            Bind::Bool(value) => out.push_bind_param::<Bool, _>(value),
            Bind::Timestamptz(value) => out.push_bind_param::<Timestamptz, _>(value),
            Bind::BigInt(value) => out.push_bind_param::<BigInt, _>(value),
            Bind::BigInts(value) => out.push_bind_param::<Array<BigInt>, _>(value),
            Bind::Texts(value) => out.push_bind_param::<Array<Text>, _>(value),
            Bind::OptionalTimestamps(value) => out.push_bind_param::<Array<Nullable<Timestamptz>>, _>(value),
            Bind::Uuids(value) => out.push_bind_param::<Array<SqlUuid>, _>(value),
            Bind::Bools(value) => out.push_bind_param::<Array<Bool>, _>(value),
            Bind::Doubles(value) => out.push_bind_param::<Array<Double>, _>(value),
            Bind::Timestamps(value) => out.push_bind_param::<Array<Timestamptz>, _>(value),
        }
    }
}

/// A SQL text with `$1`, `$2`, ... placeholders (a number may repeat) and its
/// binds, in placeholder order.
#[must_use = "a statement runs only when executed or loaded"]
pub(crate) struct Statement<'a> {
    sql: &'static str,
    binds: Vec<Bind<'a>>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: &'static str) -> Self {
        Self { sql, binds: Vec::new() }
    }

    fn bind(mut self, bind: Bind<'a>) -> Self {
        self.binds.push(bind);
        self
    }

    pub(crate) fn uuid(self, value: Uuid) -> Self {
        self.bind(Bind::Uuid(value))
    }
    pub(crate) fn text(self, value: &'a str) -> Self {
        self.bind(Bind::Text(value))
    }
    pub(crate) fn double(self, value: f64) -> Self {
        self.bind(Bind::Double(value))
    }
    pub(crate) fn boolean(self, value: bool) -> Self {
        self.bind(Bind::Bool(value))
    }
    pub(crate) fn timestamptz(self, value: DateTime<Utc>) -> Self {
        self.bind(Bind::Timestamptz(value))
    }
    pub(crate) fn bigint(self, value: i64) -> Self {
        self.bind(Bind::BigInt(value))
    }
    pub(crate) fn bigints(self, value: &'a [i64]) -> Self {
        self.bind(Bind::BigInts(value))
    }
    pub(crate) fn texts(self, value: &'a [&'a str]) -> Self {
        self.bind(Bind::Texts(value))
    }
    pub(crate) fn optional_timestamps(self, value: &'a [Option<DateTime<Utc>>]) -> Self {
        self.bind(Bind::OptionalTimestamps(value))
    }
    pub(crate) fn uuids(self, value: &'a [Uuid]) -> Self {
        self.bind(Bind::Uuids(value))
    }
    pub(crate) fn booleans(self, value: &'a [bool]) -> Self {
        self.bind(Bind::Bools(value))
    }
    pub(crate) fn doubles(self, value: &'a [f64]) -> Self {
        self.bind(Bind::Doubles(value))
    }
    pub(crate) fn timestamps(self, value: &'a [DateTime<Utc>]) -> Self {
        self.bind(Bind::Timestamps(value))
    }
}

impl QueryId for Statement<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl QueryFragment<Pg> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            let number: usize = rest[at + 1..at + 1 + digits].parse().expect("placeholders are $ and a number");
            self.binds[number - 1].push(&mut out)?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}
