//! The outbox table for diesel's query builder (the operator commands use it).

diesel::table! {
    certificate_outbox (id) {
        id -> BigInt,
        event_id -> Uuid,
        message_key -> Text,
        user_id -> Uuid,
        payload -> Text,
        created_at -> Timestamptz,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        dead_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}
