-- Wallet delivery (docs/wallets.md): offers of a certificate to its
-- learner's wallet, the access tokens a redeemed offer gave, the nonces
-- handed to wallets, and the copies wallets took. Every secret is kept as
-- the hex of its SHA-256 only. Offers, grants and nonces are removed once
-- expired (certificate-service prune); copies stay with their certificate.
CREATE TABLE wallet_offer (
    id uuid PRIMARY KEY,
    secret_digest text NOT NULL UNIQUE,
    certificate_id text NOT NULL,
    transaction_code_digest text,
    expires_at timestamptz NOT NULL,
    attempts_left smallint NOT NULL CHECK (attempts_left >= 0),
    redeemed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_offer_expires_at ON wallet_offer (expires_at);

CREATE TABLE wallet_grant (
    token_digest text PRIMARY KEY,
    offer_id uuid NOT NULL,
    certificate_id text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX wallet_grant_expires_at ON wallet_grant (expires_at);

CREATE TABLE wallet_nonce (
    digest text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX wallet_nonce_expires_at ON wallet_nonce (expires_at);

CREATE TABLE wallet_copy (
    seq bigserial UNIQUE,
    id uuid PRIMARY KEY,
    certificate_id text NOT NULL,
    offer_id uuid NOT NULL,
    holder text NOT NULL,
    credential text NOT NULL,
    claimed_at timestamptz NOT NULL,
    UNIQUE (offer_id, holder)
);
CREATE INDEX wallet_copy_certificate ON wallet_copy (certificate_id, seq);
