# English messages of the validation rules. Each rule has a message, which
# says what is wrong, and a `.help`, which says what to do. Variables are
# filled in by the rule; `none` stands for a value that is not known.

severity-error = error
severity-warning = warning
severity-hint = hint
help-label = help

summary = { $errors ->
        [0] no error
        [one] 1 error
       *[other] { $errors } errors
    }, { $warnings ->
        [0] no warning
        [one] 1 warning
       *[other] { $warnings } warnings
    }, { $hints ->
        [0] no hint
        [one] 1 hint
       *[other] { $hints } hints
    }

SE001 = The sender { $sender } is not the SMTP login { $login }{ $policy ->
        [rejects] : { $provider } refuses mail whose sender is not the logged-in account.
        [aliases] : { $provider } accepts it only if { $sender } is an alias you verified with them.
       *[other] : many servers refuse mail whose sender is not the logged-in account.
    }
    .help = Send as { $login }, or log in as { $sender }{ $policy ->
        [aliases] , or add { $sender } as a verified alias in your { $provider } settings.
       *[other] .
    }

SE002 = { $policy ->
        [rejects] Mail from { $domain } cannot be sent through { $provider }: { $domain } belongs to { $home }.
       *[other] Mail from { $domain } sent through { $provider } fails the SPF and DMARC checks of { $domain }, which belongs to { $home }: it lands in spam or is refused.
    }
    .help = Send through { $home }'s server { $server }, or send as your { $provider } address.

SE003 = { $hoster ->
        [none] { $provider } does not host { $domain }: receiving servers will see mail from { $domain } sent by another provider, fail its SPF and DMARC checks, and put it in spam or refuse it.
       *[other] { $domain } is hosted by { $hoster } (its MX), but the mail goes through { $provider }: SPF and DMARC checks fail, and the mail lands in spam or is refused.
    }
    .help = { $hoster ->
        [none] Send through the server of the provider that hosts { $domain } (OVHcloud, IONOS, Gandi…), with the mailbox's own login.
       *[other] Send through { $hoster }'s server { $server }, with the mailbox's own login.
    }

PR001 = { $host } is not one of the { $protocol } servers of { $provider }, the provider of the sender's address.
    .help = { $provider }'s { $protocol } server is { $expected }.

PR002 = { $provider } does not serve { $protocol } on { $host } port { $port } with { $security }.
    .help = Use what { $provider } documents for { $host }: { $expected }.

TL001 = { $protocol } port { $port } does not speak { $security }: the connection will hang or fail.
    .help = Set security to { $expected } on port { $port }, or use port { $other_port } with { $security }.

TL002 = { $protocol } security "{ $value }" means no encryption: your password and your mail would cross the network in clear.
    .help = Use "starttls" (SMTP 587, IMAP 143) or "implicit-tls" (SMTP 465, IMAP 993).

TL003 = SMTP port 25 is for servers relaying mail to each other: most networks block it and most providers refuse logins on it.
    .help = Use port 465 with "implicit-tls", or 587 with "starttls".

LG001 = { $provider } expects { $form ->
        [local-part] the part before @ as { $protocol } username, not { $username }.
       *[address] the full address as { $protocol } username, not { $username }.
    }
    .help = { $expected ->
        [none] Write the username in that form.
       *[other] Write username = "{ $expected }".
    }

LG002 = { $provider } refuses your account password from other software: it needs an app password.
    .help = { $provider_hint ->
        [none] Create an app password in { $provider }'s security settings and store it in the password variable.
       *[other] { $provider_hint }
    }

LG003 = { $client ->
        [registered] { $provider } accepts only OAuth2 logins: sign in with { $provider } instead of giving a password.
        [none] { $provider } accepts only OAuth2 logins, and this application has no OAuth2 client registered with { $provider }: no password, not even an app password, will work.
       *[other] { $provider } accepts only OAuth2 logins: no password, not even an app password, will work.
    }
    .help = { $client ->
        [registered] Use the application's "Sign in with { $provider }" button (or `courriel auth login --config FILE`) and remove the password.
        [none] The application's administrator must register an OAuth2 client with { $provider }{ $registration ->
            [none] {""}
           *[other] {" "}({ $registration })
        } and configure it; until then, leave the SMTP settings empty so mail goes through the default provider.
       *[other] Sign in with { $provider } instead (OAuth2: the application's "Sign in with" button, or `courriel auth login --config FILE`); or leave the SMTP settings empty so mail goes through the default provider.
    }

LG004 = { $variable ->
        [none] No password is configured for { $protocol }.
       *[other] The environment variable { $variable }, which should hold the { $protocol } password, is not set.
    }
    .help = { $variable ->
        [none] Add password_env = "NAME" to the { $protocol } settings and put the password in that environment variable.
       *[other] Set { $variable } to the password before running, or fix the variable's name in password_env.
    }

PV001 = { $provider } keeps IMAP and SMTP access switched off until you turn it on.
    .help = { $provider_hint ->
        [none] Turn on IMAP/SMTP access in your { $provider } web settings.
       *[other] { $provider_hint }
    }

PV002 = { $provider } offers no standard IMAP and SMTP access to other software.
    .help = { $provider_hint ->
        [none] Remove the SMTP and IMAP settings: mail will go through the default provider.
       *[other] { $provider_hint }
    }

AR001 = { $provider } already files a copy of every message sent through it in your Sent folder: with copy_to_sent, each message would appear there twice.
    .help = Set copy_to_sent = false in the IMAP settings.

AR002 = { $folder ->
        [none] No Sent folder is chosen: copies of sent mail cannot be filed.
        [auto] The IMAP server has no folder for sent mail, and create_sent_folder = false forbids creating one: copies of sent mail cannot be filed.
       *[other] The folder "{ $folder }" does not exist on the IMAP server: copies of sent mail cannot be filed.
    }
    .help = { $folder ->
        [none] Set sent_folder = "auto" to use the server's Sent folder, or the name of a folder.
        [auto] Remove create_sent_folder = false to let courriel create a Sent folder, create one in your webmail or mail program, or set sent_folder to one of the server's folders.
       *[other] Choose one of the server's folders, or set sent_folder = "auto".
    }

AR003 = The IMAP server has no folder for sent mail yet: courriel will create "{ $folder }" when it files the first copy.
    .help = Nothing to do if that suits you. If your mail program keeps sent mail in another folder, set sent_folder to its name; set create_sent_folder = false to be told instead of a folder being created.

DF001 = No SMTP server is configured: mail will go out through the application's default provider, under your address.
    .help = To keep mail out of spam folders and get bounces back, fill in your own provider's SMTP settings.

DF002 = No SMTP server is configured: mail will go out through { $app }'s provider from { $address }, shown as "your name via { $app }", with replies coming to you at { $sender }. { $why ->
        [dmarc-reject] { $domain } tells receivers to refuse mail in its name sent from other servers (DMARC policy "reject"), so your own address cannot be used there.
        [dmarc-quarantine] { $domain } tells receivers to put mail in its name sent from other servers in spam (DMARC policy "quarantine"), so your own address is not used there.
        [dmarc-unknown] { $domain }'s DMARC policy could not be looked up, so your own address is not used there, in case the mail would be refused.
       *[other] { $app } sends every message from its own address.
    }
    .help = To send under your own address, fill in your own provider's SMTP settings.

FD001 = { $field } is missing.
    .help = Fill in { $field }.

FD002 = "{ $value }" is not a valid mail address: { $reason ->
        [missing-at] it has no @.
        [display-name] only the address is expected, without a name or angle brackets.
        [empty-local-part] nothing comes before the @.
        [local-part-too-long] the part before the @ is longer than 64 characters.
        [dots] the part before the @ starts or ends with a dot, or has two dots in a row.
        [character] the part before the @ has a character that is not allowed.
        [domain] the part after the @ is not a valid domain.
       *[other] it cannot be read as an address.
    }
    .help = Write the address alone, as name@domain, for example isabelle.martin@yahoo.fr.

FD003 = "{ $value }" is not a valid { $protocol } host name: { $reason ->
        [scheme] it is a URL, not a host name.
        [port] it includes a port.
        [single-label] it has no domain.
       *[other] it has characters a host name cannot have.
    }
    .help = Write the server's name alone, for example smtp.mail.yahoo.com, and put the port in port.

FD004 = { $protocol } port { $value } does not exist: ports go from 1 to 65535.
    .help = Use { $implicit } for implicit TLS or { $starttls } for STARTTLS.

FD005 = "{ $value }" is not a { $protocol } security mode.
    .help = { $suggestion ->
        [none] Write "implicit-tls" or "starttls".
       *[other] Write "{ $suggestion }".
    }

## Failures met when contacting a server (codes IM: IMAP).

IM001 = IMAP is not configured: copies of sent mail are not filed.
    .help = Fill in the IMAP settings to file a copy of each message in your Sent folder.

IM002 = The IMAP server name { $host } does not exist (DNS lookup failed).
    .help = Check the spelling of the host name; your provider's help pages give the right one.

IM003 = The IMAP server { $host } refuses connections on port { $port }.
    .help = Check the port: 993 for implicit TLS, 143 for STARTTLS.

IM004 = The IMAP server { $host }:{ $port } did not answer within { $seconds } s ({ $step }).
    .help = Check the host and port (a port that expects TLS first hangs a STARTTLS client, and the reverse), then try again later.

IM005 = The certificate of { $host } is not signed by an authority this system trusts.
    .help = If your provider uses a private authority, give its certificate in ca_file; otherwise the connection may be intercepted: do not connect.

IM006 = The certificate presented by { $host } is for another name: { $detail ->
        [none] it names no host
        [unknown] it names other hosts
       *[other] it is for { $detail }
    }.
    .help = Use the host name the certificate is for, as your provider documents it.

IM007 = The secure connection to { $host } failed: { $detail }.
    .help = Check the port and security mode: 993 with implicit-tls, 143 with starttls.

IM008 = The IMAP server { $host }:{ $port } does not offer STARTTLS: your password would travel unencrypted, so courriel did not log in.
    .help = Use port 993 with implicit-tls, or ask your provider for an encrypted connection.

IM009 = The IMAP server refused the login of { $user }: { $detail }
    .help = Check the username and password; many providers require an app password for other software.

IM010 = The IMAP server { $host } answered something unexpected: { $detail }
    .help = Check that host and port are those of an IMAP server; if they are, try again later.

IM011 = The folder "{ $folder }" does not exist on the IMAP server.
    .help = Choose another folder, or set sent_folder = "auto".

IM012 = The IMAP server refused to file the copy in "{ $folder }": { $detail }
    .help = Check the mailbox's quota and the folder's permissions; the copy is kept and will be filed again.

IM013 = The connection to the IMAP server { $host } was lost: { $detail }
    .help = Nothing to change if it happens rarely: the copy is kept and filed again later.

IM014 = The IMAP settings have errors ({ $codes }): the copy of the sent message waits in the spool.
    .help = Run `courriel check` and fix the IMAP settings; then `courriel spool retry` files the copy.

IM015 = The certificate of the IMAP server { $host } { $date ->
        [unknown] has expired
       *[other] expired on { $date }
    }: courriel does not connect with it.
    .help = The server's administrator must renew the certificate (an expired one no longer proves who the server is); copies wait in the spool meanwhile. If this computer's date is wrong, set it right.

IM016 = The IMAP server refused to create the Sent folder "{ $folder }": { $detail }
    .help = Create a folder for sent mail in your webmail or mail program, or set sent_folder to one of the server's folders; the copy is kept: `courriel spool retry --failed` files it then.

IM017 = The IMAP server has no folder for sent mail, and create_sent_folder = false forbids creating one.
    .help = Remove create_sent_folder = false, create a folder for sent mail in your webmail or mail program, or set sent_folder to one of the server's folders; the copy is kept: `courriel spool retry --failed` files it then.

SP001 = The copy of the sent message could not be written to the spool { $dir }: { $detail }
    .help = The message was sent, but its copy is not kept: free disk space or fix the spool directory's permissions; for a PostgreSQL spool, check that the database answers.

SP002 = The copy { $entry } is being filed by another worker: this one held it too long (its claim on the spool expired).
    .help = Nothing is lost and it will not be filed twice. If this happens often, give the spool a longer lease than the IMAP timeouts allow a filing to take.

SP003 = The copy { $entry } was made for the mailbox { $mailbox }, but the account "{ $account }" now names { $now }: it is not filed there.
    .help = Nothing is lost: the copy is kept, marked failed. If the account was edited by mistake, restore its IMAP host and user, then run `courriel spool retry --failed`; if the account now belongs to someone else, the copy belongs to the old mailbox.

SP004 = The message was not sent: its copy could not be written to the spool { $dir } first ({ $detail }).
    .help = Free disk space or fix the spool directory's permissions (for a PostgreSQL spool, check that the database answers), then send again: nothing went out.

## Failures met when sending (codes SM: SMTP).

SM002 = The SMTP server name { $host } does not exist (DNS lookup failed).
    .help = Check the spelling of the host name; your provider's help pages give the right one.

SM003 = The SMTP server { $host } refuses connections on port { $port }.
    .help = Check the port: 465 for implicit TLS, 587 for STARTTLS.

SM004 = The SMTP server { $host }:{ $port } did not answer within { $seconds } s ({ $step }).
    .help = Check the host and port (a port that expects TLS first hangs a STARTTLS client, and the reverse), then try again later.

SM005 = The certificate of { $host } is not signed by an authority this system trusts.
    .help = If your provider uses a private authority, give its certificate in ca_file; otherwise the connection may be intercepted: do not send.

SM006 = The certificate presented by { $host } is for another name: { $detail ->
        [none] it names no host
        [unknown] it names other hosts
       *[other] it is for { $detail }
    }.
    .help = Use the host name the certificate is for, as your provider documents it.

SM007 = The secure connection to { $host } failed: { $detail }.
    .help = Check the port and security mode: 465 with implicit-tls, 587 with starttls.

SM008 = The SMTP server { $host }:{ $port } does not offer STARTTLS: your password would travel unencrypted, so courriel did not log in.
    .help = Use port 465 with implicit-tls, or ask your provider for an encrypted connection.

SM009 = The SMTP server refused the login of { $user }: { $detail }
    .help = Check the username and password; many providers require an app password for other software.

SM010 = The SMTP server refuses { $sender } as sender for the login { $user }: { $detail }
    .help = Send as the address you log in with, or log in as { $sender } (see rule SE001).

SM011 = The SMTP server refused every recipient: { $detail }
    .help = Check the recipients' addresses.

SM012 = The message is too large for the SMTP server: { $detail }
    .help = Send smaller attachments, or share large files by link.

SM013 = The SMTP server refused the message for now: { $detail }
    .help = Nothing to change: courriel tries again later.

SM014 = The SMTP server rejected the message: { $detail }
    .help = Read the server's reason; if it mentions spam or policy, check the sender and the content.

SM015 = The SMTP server { $host } answered something unexpected, or the connection broke: { $detail }
    .help = Check that host and port are those of an SMTP submission server; if they are, try again later.

SM016 = The message was handed over to the SMTP server { $host }, but its answer never came or made no sense: { $detail }
    .help = The message may have been delivered: check with a recipient (or in the server's logs) before sending it again.

SM017 = The SMTP server { $host } offers no login method courriel can use ({ $offered ->
        [none] it offers none
       *[other] it offers { $offered }
    }); courriel logs in with PLAIN or LOGIN, inside TLS.
    .help = The password may well be right: ask your provider which server and port accept a password login from mail programs (often 465 or 587), or whether an app password is needed.

SM018 = The certificate of the SMTP server { $host } { $date ->
        [unknown] has expired
       *[other] expired on { $date }
    }: courriel does not connect with it.
    .help = The server's administrator must renew the certificate (an expired one no longer proves who the server is); do not send through it until then. If this computer's date is wrong, set it right.

SM019 = The SMTP server { $host }:{ $port } offers STARTTLS but refused to start it ({ $detail }): courriel did not log in without encryption.
    .help = Try again later; if it lasts, use port 465 with implicit-tls, or tell your provider that their server cannot encrypt connections.

SM020 = The address { $address } has characters outside ASCII, and the SMTP server { $host } does not take such addresses (it does not offer SMTPUTF8): the message was not sent.
    .help = Use an ASCII form of the address if its owner has one, or send through a server that offers SMTPUTF8.

SM021 = The message is { $size } bytes, more than the { $limit } bytes the SMTP server { $host } says it accepts: it was not sent.
    .help = Send smaller attachments, or share large files by link.

## Failures of the default provider (codes SG: SendGrid's API).

SG001 = The default provider is not configured: no SendGrid API key was given.
    .help = Set the API key (COURRIEL_SENDGRID_API_KEY for the courriel tool), or fill in the account's SMTP settings.

SG002 = SendGrid refused the API key (401).
    .help = Check the API key; create a new one with the Mail Send permission if it was revoked.

SG003 = SendGrid refused to send (403): { $detail }
    .help = Check that the API key has the Mail Send permission and that the sender is verified in SendGrid.

SG004 = SendGrid rejected the message (400): { $detail }
    .help = Correct what SendGrid names; the message was not sent.

SG005 = The message is too large for SendGrid (413).
    .help = Send smaller attachments (SendGrid takes up to 30 MB in all), or share large files by link.

SG006 = SendGrid asks to slow down (429); it was still refusing after { $attempts } attempts.
    .help = Nothing to change: courriel tries again later; if it lasts, check your SendGrid plan's limits.

SG007 = SendGrid failed ({ $status }) after { $attempts } attempts.
    .help = Nothing to change: courriel tries again later.

SG008 = SendGrid could not be reached at { $url }: { $detail }
    .help = Check the network and the API address; courriel tries again later.

SG009 = The message was handed to SendGrid at { $url }, then the connection failed before its answer ({ $detail }): it may or may not have been sent.
    .help = Do not send it again blindly: check SendGrid's activity feed (or ask the recipient) first. Its copy is kept and filed unread in the Sent folder.

## Where connections may go (codes NT: SMTP and IMAP alike).

NT001 = The server { $host } is at { $address }, { $range ->
        [loopback] a loopback address (this machine itself)
        [private] a private network address
        [shared] a carrier-grade NAT address (100.64.0.0/10)
        [link-local] a link-local address
        [cloud-metadata] the address of a cloud metadata service
        [multicast] a multicast address
        [unspecified] an unspecified address
        [broadcast] the broadcast address
        [documentation] an address reserved for documentation
       *[other] a reserved address
    }: this application does not connect there.
    .help = Give the public name of your mail server (such as smtp.example.com), as your provider documents it. If the server really is on a private network, ask the application's administrator to allow its address.

NT002 = No mail server could be reached at { $host }:{ $port }, or it did not answer as one.
    .help = Check the server's name, the port and the security (465 and 993: implicit TLS; 587 and 143: STARTTLS) as your provider documents them, then try again later.

NT003 = The CA file { $file } cannot be used: { $detail }
    .help = The account's ca_file must name a readable regular file holding the PEM certificate of the CA that signed your server's certificate (lines between BEGIN CERTIFICATE and END CERTIFICATE). Fix the path or the file, then try again.

EM001 = The message cannot be built: { $detail }
    .help = Nothing was sent. The application that builds the message must fix it (a sender, at least one recipient, a body, header values on one line).

OA001 = { $user } has not signed in with { $provider } (no OAuth2 sign-in is stored for this account).
    .help = Sign in with { $provider } (the application's "Sign in with" button, or `courriel auth login --config FILE`); the sign-in is kept and renewed from then on.

OA002 = { $provider } no longer accepts the sign-in of { $user }: { $detail }
    .help = The user must sign in with { $provider } again: the authorization was revoked, expired, or the password or security settings of the account changed.

OA003 = { $provider } requires an administrator of { $user }'s organisation to approve this application: { $detail }
    .help = Ask an administrator of the organisation to approve the application (admin consent) in { $provider }, then sign in again.

OA004 = { $provider } refused the application's OAuth2 client: { $detail }
    .help = The application's client id or secret is wrong, or the client may not ask for these permissions: its administrator must check the client registered with { $provider }.

OA005 = The sign-in service { $host } could not be reached or failed: { $detail }
    .help = Nothing was sent. Try again later; if it lasts, check that this machine reaches { $host } over HTTPS.

OA006 = The { $protocol } server { $host } refused the OAuth2 token of { $user }, even renewed: { $detail }
    .help = The sign-in lacks a permission the server needs, or the mailbox has no { $protocol } access: sign in again and approve every permission asked; on Microsoft 365 an administrator may have to allow IMAP or SMTP AUTH for the mailbox.

OA007 = SMTP AUTH is switched off for { $user }'s mailbox or organisation: { $detail }
    .help = An administrator of the organisation must allow authenticated SMTP (SMTP AUTH) for this mailbox (Microsoft 365: in the Microsoft 365 admin center, Mail > Manage email apps > Authenticated SMTP); until then, mail goes through the application's default provider only if no SMTP server is configured.

OA008 = { $host } no longer accepts a password for { $user }: { $detail }
    .help = This provider retired password sign-in: sign in with OAuth2 instead (the application's "Sign in with" button, or `courriel auth login --config FILE`).

OA009 = The OAuth2 token store could not be read or written: { $detail }
    .help = Nothing was sent. Check the token store: its directory's permissions and free space, or that its database answers.

OA010 = The { $protocol } server { $host } offers no OAuth2 sign-in courriel can use ({ $offered ->
        [none] it offers none
       *[other] it offers { $offered }
    }).
    .help = courriel signs in with XOAUTH2 or OAUTHBEARER; check the server's host and port, or sign in with a password if the provider takes one.

OA011 = The application has no OAuth2 client for { $provider }.
    .help = The application's administrator must register an application with { $provider } and configure its client id (and secret), then users can sign in.

OA012 = The sign-in with { $provider } was not completed: { $detail }
    .help = Sign in again and approve the permissions asked; start from the application, not from an old link.
