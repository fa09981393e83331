-- A copy is spooled before its message is handed over ('sending': if its
-- sender dies, whether the message went out is unknown, and the copy is
-- filed marked so), and remembers whose it is (the mailbox it belongs in,
-- the sender, a digest of the settings: JSON), so that a retry never files
-- it in a mailbox that is not its own.
ALTER TABLE courriel_spool DROP CONSTRAINT courriel_spool_state_check;
ALTER TABLE courriel_spool ADD CONSTRAINT courriel_spool_state_check
    CHECK (state IN ('sending', 'pending', 'failed'));
ALTER TABLE courriel_spool ADD COLUMN owner text;
ALTER TABLE courriel_spool ADD COLUMN fate_unknown boolean NOT NULL DEFAULT false;
-- What the claim query scans for copies whose sender died.
CREATE INDEX courriel_spool_sending ON courriel_spool (lease_until) WHERE state = 'sending';
