-- The built-in issuer's Bitstring Status Lists (README, "Status lists").
-- A list is a row; its entries are handed out as sequence numbers
-- (reserved, a block per replica at a time, never reused) that the
-- permutation key turns into indexes, so that an index does not tell when
-- its credential was issued. A set bit is a row of status_list_bit; version
-- moves on, in the same transaction, with every change of a list's bits.
CREATE TABLE status_list (
    list integer PRIMARY KEY CHECK (list > 0),
    permutation_key bigint NOT NULL,
    size integer NOT NULL CHECK (size > 0),
    reserved integer NOT NULL CHECK (reserved BETWEEN 0 AND size),
    version bigint NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE status_list_bit (
    list integer NOT NULL REFERENCES status_list (list),
    purpose text NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    index integer NOT NULL CHECK (index >= 0),
    PRIMARY KEY (list, purpose, index)
);

-- What became of a certificate after its issue, when an operator changed
-- it (an active certificate that never changed has no row). A superseded
-- credential's revocation stays in certificate_revocation.
CREATE TABLE certificate_standing (
    certificate_id text PRIMARY KEY,
    standing text NOT NULL CHECK (standing IN ('active', 'suspended', 'revoked')),
    reason text NOT NULL,
    changed_at timestamptz NOT NULL
);
