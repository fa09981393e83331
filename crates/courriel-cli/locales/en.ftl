# The courriel tool's messages in English. Every message is in fr.ftl too,
# with the same variables (a test checks). Variables are filled in by the
# tool; values from elsewhere (a failure's or an error's own text, a
# folder's name, a date) come in as they are.

## Every verb

providers-invalid = the provider files are invalid:
no-spool = no spool directory: give --spool DIR or set COURRIEL_SPOOL
spool-cannot-open = cannot open the spool: { $error }
spool-cannot-open-at = cannot open the spool { $location }: { $error }
account-no-imap = the account file has no [imap] settings
ca-file-unreadable = ca_file { $path }: cannot be read ({ $error })
invalid-address = `{ $input }` is not a valid address: { $error }
cannot-read = cannot read { $path }: { $error }

## courriel lookup

lookup-unknown-domain =
    courriel: no provider in the catalog for `{ $domain }` ({ $known } mail domains known).
    If it is a custom domain, its hosting provider's settings apply: look them up on its help pages and enter them by hand.
discover-nothing = no settings found for `{ $domain }`: { $attempts }
discover-unnamed = (unnamed provider)
discover-provider-for = { $provider } for { $address }
discover-found-by = found by:   { $source }{ $detail }
discover-trusted = trusted:    yes
discover-untrusted = trusted:    NO, confirm these settings before using them: { $why }
discover-no-server = (none)
discover-sources = sources:    { $attempts }

## courriel check

check-smtp-not-configured = SMTP: not configured: mail goes through the default provider
check-smtp-skipped = SMTP: not checked, the settings have errors
check-smtp-ok = SMTP: connected and logged in ({ $server })
check-smtp-failed = SMTP: { $failure }
check-smtp-not-checked = SMTP: not checked
check-imap-not-configured = IMAP: not configured: no copy of sent mail is filed
check-imap-skipped = IMAP: not checked, the settings have errors
check-imap-sent = IMAP: connected and logged in; Sent folder: { $folder } ({ $reason })
check-imap-sent-to-create = IMAP: connected and logged in; no Sent folder yet, created on first filing: { $folder }
check-imap-no-sent = IMAP: connected and logged in; no folder qualifies as Sent
check-imap-failed = IMAP: { $failure }
check-imap-not-checked = IMAP: not checked

## courriel folders

folders-sent-none = Sent: no folder qualifies

## courriel send

sender-invalid = the account's sender is missing or invalid: run `courriel check --offline`
to-list-empty = no address in the list
attachments-too-large = { $path }: the attachments together weigh more than { $mib } MiB ({ $cap } bytes), the most a message may carry
progress-sending = sending
to-list-sent = sent
to-list-partly = partly
to-list-failed = FAILED
to-list-refused = refused: { $address }
to-list-summary = { $sent } of { $total } messages sent
fate-unknown-kept = its copy is kept in the spool, to be filed unread: { $entry }
via-default-provider = the default provider ({ $name })
receipt-sent-through = sent through { $via } — Message-ID <{ $message_id }>
receipt-on-behalf = on the user's behalf: from "… via { $app }" <{ $address }>, replies to the user ({ $reason })
receipt-refused = refused: { $address }: { $reply }
receipt-filed-later = (filed later by `courriel spool retry`)

## courriel spool

spool-unreadable = cannot read the spool { $location }: { $error }
spool-quarantined = warning: unreadable spool files set aside, blocking nothing: { $count } ({ $location }/quarantine)
spool-empty = no copy waiting: the spool is empty ({ $location })
spool-entry-folder = folder { $folder }  attempts { $attempts }
spool-entry-next-attempt = next attempt: { $when }
spool-entry-fate-unknown = its sender stopped after handing the message over: sent or not, unknown; filed unread
spool-entry-mailbox = mailbox: { $mailbox }
spool-entry-claimed = being filed by: { $worker }
spool-entry-last-error = last error: { $error }
spool-summary = copies waiting: { $total }, pending: { $pending }, failed: { $failed }, unknown fate: { $unknown } ({ $location })
next-attempt-failed = not retried: fix the cause, the copy is kept
next-attempt-due = now (due)
next-attempt-in = in { $wait } ({ $date })
progress-filing = filing
copies-stay = { $account }: its copies stay in the spool:
lease-too-short = --lease must be more than 1.5 times --imap-timeout (a claim must outlast an APPEND)
retry-report = filed: { $filed }, already filed: { $already_filed }, pending: { $pending }, failed: { $failed }
retry-unknown-fate = filed unread, sent or not unknown: { $count } (their sender stopped after handing the message over; check with the recipients before sending again)
retry-account-changed = kept, the account now names another mailbox: { $count } (SP003)
retry-remaining = still in the spool: { $count } (see `courriel spool status`; `courriel spool retry --now` tries pending copies before their next attempt)

auth-no-oauth2 = { $file } has no [oauth2] section: this account signs in with passwords.
auth-open = Open this address in your browser to sign in (the answer comes back to this machine):
    { $url }
auth-device = On any device, open { $uri } and type the code { $code }
auth-page-done = Signed in: you can close this window and go back to courriel.
auth-signed-in = Signed in as { $user } with { $provider }.
auth-status = { $user } is signed in with { $provider }.
auth-not-signed-in = { $user } is not signed in with { $provider }: run `courriel auth login --config FILE`.
auth-signed-out = { $user } is signed out of { $provider }: its tokens are forgotten here (revoke the application in the provider's account settings to end the authorization there too).
auth-signed-out-revoked = { $user } is signed out of { $provider }: { $provider } was told to forget the sign-in, and its tokens are deleted here.
auth-signed-out-not-told = { $user }'s tokens are deleted here, but { $provider } could not be told to forget the sign-in: it stays valid there until it expires (revoke the application in the provider's account settings to end it now).
auth-expires = The access token expires at { $at } (renewed automatically: { $renewable ->
        [yes] yes
       *[no] no, no refresh token
    }).
auth-scopes = Permissions: { $scopes }
check-oauth2 = OAuth2: signed in as { $user } ({ $provider })
auth-device-link = or open this address there, with the code filled in: { $uri }
