-- OAuth2 grants (the facade's PgTokenStore): one row per account, its
-- tokens in the JSON the facade writes (`Grant::to_stored`), kept as text
-- exactly as written. Only the application's role should read this table.
CREATE TABLE courriel_oauth2_grants (
    provider   text NOT NULL,
    user_name  text NOT NULL,
    stored     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, user_name)
);
