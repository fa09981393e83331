-- Folder lists, keyed by the connection settings' fingerprint (a hash that
-- changes when the host, port, security, user or password change).
CREATE TABLE courriel_folder_cache (
    fingerprint text PRIMARY KEY,
    list        text NOT NULL,
    listed_at   timestamptz NOT NULL DEFAULT now()
);
