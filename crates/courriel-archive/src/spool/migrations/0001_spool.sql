-- The spool: one row per copy waiting to be filed in a Sent folder.
CREATE TABLE courriel_spool (
    id           text PRIMARY KEY,
    account      text NOT NULL,
    folder       text,
    message_id   text NOT NULL,
    date         text,
    message      bytea NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL DEFAULT now(),
    last_error   text,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    -- The worker filing it, until lease_until; an expired lease is free.
    claimed_by   text,
    lease_until  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- What the claim query scans: pending copies by due time.
CREATE INDEX courriel_spool_due ON courriel_spool (next_attempt, id) WHERE state = 'pending';
