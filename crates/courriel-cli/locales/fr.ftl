# Les messages de l'outil courriel, en français. Chaque message est aussi
# dans en.ftl, avec les mêmes variables (un test le vérifie). Les variables
# sont remplies par l'outil ; les valeurs venues d'ailleurs (le texte d'un
# échec ou d'une erreur, le nom d'un dossier, une date) arrivent telles
# quelles.

## Toutes les commandes

providers-invalid = les fichiers de fournisseurs ne sont pas valides :
no-spool = pas de répertoire d'attente : donnez --spool DIR ou définissez COURRIEL_SPOOL
spool-cannot-open = impossible d'ouvrir la file d'attente: { $error }
spool-cannot-open-at = impossible d'ouvrir la file d'attente { $location }: { $error }
account-no-imap = le fichier de compte n'a pas de réglages [imap]
ca-file-unreadable = ca_file { $path }: illisible ({ $error })
invalid-address = `{ $input }` n'est pas une adresse valide : { $error }
cannot-read = impossible de lire { $path }: { $error }

## courriel lookup

lookup-unknown-domain =
    courriel : aucun fournisseur du catalogue pour `{ $domain }` ({ $known } domaines de messagerie connus).
    Si c'est un domaine personnalisé, les réglages de son hébergeur s'appliquent : cherchez-les dans son aide et saisissez-les à la main.
discover-nothing = aucun réglage trouvé pour `{ $domain }`: { $attempts }
discover-unnamed = (fournisseur sans nom)
discover-provider-for = { $provider } pour { $address }
discover-found-by = trouvé par : { $source }{ $detail }
discover-trusted = de confiance : oui
discover-untrusted = de confiance : NON, confirmez ces réglages avant de les utiliser: { $why }
discover-no-server = (aucun)
discover-sources = sources : { $attempts }

## courriel check

check-smtp-not-configured = SMTP : non configuré : le courrier part par le fournisseur par défaut
check-smtp-skipped = SMTP : non vérifié, les réglages ont des erreurs
check-smtp-ok = SMTP : connexion et identification réussies ({ $server })
check-smtp-failed = SMTP : { $failure }
check-smtp-not-checked = SMTP : non vérifié
check-imap-not-configured = IMAP : non configuré : aucune copie des messages envoyés n'est rangée
check-imap-skipped = IMAP : non vérifié, les réglages ont des erreurs
check-imap-sent = IMAP : connexion et identification réussies ; dossier des envoyés : { $folder } ({ $reason })
check-imap-sent-to-create = IMAP : connexion et identification réussies ; pas encore de dossier des envoyés, créé au premier rangement : { $folder }
check-imap-no-sent = IMAP : connexion et identification réussies ; aucun dossier des envoyés ne convient
check-imap-failed = IMAP : { $failure }
check-imap-not-checked = IMAP : non vérifié

## courriel folders

folders-sent-none = Sent: aucun dossier ne convient

## courriel send

sender-invalid = l'expéditeur du compte manque ou n'est pas valide : lancez `courriel check --offline`
to-list-empty = aucune adresse dans la liste
attachments-too-large = { $path } : les pièces jointes font ensemble plus de { $mib } Mio ({ $cap } octets), le maximum pour un message
progress-sending = envoi
to-list-sent = envoyé
to-list-partly = en partie
to-list-failed = ÉCHEC
to-list-refused = refusé : { $address }
to-list-summary = { $sent } messages envoyés sur { $total }
fate-unknown-kept = sa copie est gardée dans la file d'attente, pour être rangée non lue : { $entry }
via-default-provider = le fournisseur par défaut ({ $name })
receipt-sent-through = envoyé par { $via } — Message-ID <{ $message_id }>
receipt-on-behalf = au nom de l'utilisateur : de « … via { $app } » <{ $address }>, réponses à l'utilisateur ({ $reason })
receipt-refused = refusé : { $address }: { $reply }
receipt-filed-later = (rangée plus tard par `courriel spool retry`)

## courriel spool

spool-unreadable = impossible de lire la file d'attente { $location }: { $error }
spool-quarantined = attention : fichiers illisibles de la file d'attente mis de côté, sans rien bloquer : { $count } ({ $location }/quarantine)
spool-empty = aucune copie en attente : la file d'attente est vide ({ $location })
spool-entry-folder = dossier { $folder }  tentatives { $attempts }
spool-entry-next-attempt = prochaine tentative : { $when }
spool-entry-fate-unknown = son expéditeur s'est arrêté après avoir remis le message : envoyé ou non, on ne sait pas ; rangée non lue
spool-entry-mailbox = boîte : { $mailbox }
spool-entry-claimed = en cours de rangement par : { $worker }
spool-entry-last-error = dernière erreur : { $error }
spool-summary = copies en attente : { $total }, à ranger : { $pending }, en échec : { $failed }, sort inconnu : { $unknown } ({ $location })
next-attempt-failed = plus retentée : corrigez la cause, la copie est gardée
next-attempt-due = maintenant (due)
next-attempt-in = dans { $wait } ({ $date })
progress-filing = rangement
copies-stay = { $account }: ses copies restent en attente :
lease-too-short = --lease doit dépasser 1,5 fois --imap-timeout (une réservation doit durer plus qu'un APPEND)
retry-report = rangées : { $filed }, déjà rangées : { $already_filed }, en attente : { $pending }, en échec : { $failed }
retry-unknown-fate = rangées non lues, envoi incertain : { $count } (leur expéditeur s'est arrêté après avoir remis le message ; vérifiez auprès des destinataires avant de renvoyer)
retry-account-changed = gardées, le compte désigne une autre boîte : { $count } (SP003)
retry-remaining = toujours en attente : { $count } (voir `courriel spool status` ; `courriel spool retry --now` essaie les copies à ranger sans attendre)

auth-no-oauth2 = { $file } n'a pas de section [oauth2] : ce compte se connecte avec des mots de passe.
auth-open = Ouvrez cette adresse dans votre navigateur pour vous connecter (la réponse revient sur cette machine) :
    { $url }
auth-device = Sur n'importe quel appareil, ouvrez { $uri } et saisissez le code { $code }
auth-page-done = Connexion réussie : vous pouvez fermer cette fenêtre et revenir à courriel.
auth-signed-in = Connecté en tant que { $user } avec { $provider }.
auth-status = { $user } est connecté avec { $provider }.
auth-not-signed-in = { $user } n'est pas connecté avec { $provider } : lancez `courriel auth login --config FICHIER`.
auth-signed-out = { $user } est déconnecté de { $provider } : ses jetons sont oubliés ici (révoquez l'application dans les réglages du compte chez le fournisseur pour mettre fin à l'autorisation là-bas aussi).
auth-signed-out-revoked = { $user } est déconnecté de { $provider } : { $provider } a été prié d'oublier la connexion, et ses jetons sont effacés ici.
auth-signed-out-not-told = Les jetons de { $user } sont effacés ici, mais { $provider } n'a pas pu être prié d'oublier la connexion : elle reste valable là-bas jusqu'à son expiration (révoquez l'application dans les réglages du compte chez le fournisseur pour y mettre fin maintenant).
auth-expires = Le jeton d'accès expire le { $at } (renouvelé automatiquement : { $renewable ->
        [yes] oui
       *[no] non, pas de jeton de renouvellement
    }).
auth-scopes = Autorisations : { $scopes }
check-oauth2 = OAuth2 : connecté en tant que { $user } ({ $provider })
auth-device-link = ou ouvrez-y cette adresse, le code déjà rempli : { $uri }
