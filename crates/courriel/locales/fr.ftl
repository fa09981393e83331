# Les mots de la bibliothèque (français) : ce qu'est devenue la copie des
# envoyés, et pourquoi un fichier a été refusé. Les messages des règles et
# des échecs sont ceux de courriel-core.

filing-filed = copie rangée dans { $folder }
filing-filed-created = copie rangée dans { $folder }, dossier créé : le serveur n'avait pas de dossier des envoyés
filing-spooled = copie en attente : { $failure }
filing-not-filed = copie non rangée : { $failure }
filing-provider-files = pas de copie : { $provider } range lui-même les messages envoyés
filing-no-imap = pas de copie : IMAP n'est pas configuré
filing-disabled = pas de copie : désactivé (copy_to_sent = false)

input-not-regular = est { $kind }, pas un fichier ordinaire
input-too-large = fait { $size } octets, plus que les { $mib } Mio ({ $cap } octets) permis pour { $input }
input-too-large-unsized = dépasse les { $mib } Mio ({ $cap } octets) permis pour { $input }
input-not-utf8 = n'est pas du texte UTF-8
input-no-certificate = le fichier ne contient aucun certificat PEM utilisable ({ $reason })

input-attachment = une pièce jointe
input-body = un corps de message
input-address-list = une liste d'adresses
input-account-file = un fichier de compte
input-ca-file = un fichier d'autorités (CA)

kind-fifo = un tube nommé (FIFO)
kind-char-device = un périphérique caractère
kind-block-device = un périphérique bloc
kind-socket = une socket
kind-directory = un dossier
kind-other = autre chose
