# Messages des règles de validation, en français. Chaque règle a un message,
# qui dit ce qui ne va pas, et un `.help`, qui dit quoi faire. Les variables
# sont remplies par la règle ; `none` signifie une valeur inconnue.

severity-error = erreur
severity-warning = avertissement
severity-hint = conseil
help-label = aide

summary = { $errors ->
        [0] aucune erreur
        [one] 1 erreur
       *[other] { $errors } erreurs
    }, { $warnings ->
        [0] aucun avertissement
        [one] 1 avertissement
       *[other] { $warnings } avertissements
    }, { $hints ->
        [0] aucun conseil
        [one] 1 conseil
       *[other] { $hints } conseils
    }

SE001 = L'expéditeur { $sender } n'est pas l'identifiant SMTP { $login }{ $policy ->
        [rejects] { " " }: { $provider } refuse les messages dont l'expéditeur n'est pas le compte connecté.
        [aliases] { " " }: { $provider } ne l'accepte que si { $sender } est un alias que vous avez vérifié chez lui.
       *[other] { " " }: beaucoup de serveurs refusent les messages dont l'expéditeur n'est pas le compte connecté.
    }
    .help = Envoyez en tant que { $login }, ou connectez-vous en tant que { $sender }{ $policy ->
        [aliases] , ou ajoutez { $sender } comme alias vérifié dans vos réglages { $provider }.
       *[other] .
    }

SE002 = { $policy ->
        [rejects] Un message de { $domain } ne peut pas partir par { $provider } : { $domain } appartient à { $home }.
       *[other] Un message de { $domain } envoyé par { $provider } échoue aux contrôles SPF et DMARC de { $domain }, qui appartient à { $home } : il finit en spam ou est refusé.
    }
    .help = Envoyez par le serveur de { $home }, { $server }, ou envoyez depuis votre adresse { $provider }.

SE003 = { $hoster ->
        [none] { $provider } n'héberge pas { $domain } : les serveurs destinataires verront un message de { $domain } envoyé par un autre fournisseur, les contrôles SPF et DMARC échoueront, et le message finira en spam ou sera refusé.
       *[other] { $domain } est hébergé par { $hoster } (son MX), mais le message part par { $provider } : les contrôles SPF et DMARC échouent, et le message finit en spam ou est refusé.
    }
    .help = { $hoster ->
        [none] Envoyez par le serveur du fournisseur qui héberge { $domain } (OVHcloud, IONOS, Gandi…), avec l'identifiant de cette boîte.
       *[other] Envoyez par le serveur de { $hoster }, { $server }, avec l'identifiant de cette boîte.
    }

PR001 = { $host } n'est pas un serveur { $protocol } de { $provider }, le fournisseur de l'adresse d'expédition.
    .help = Le serveur { $protocol } de { $provider } est { $expected }.

PR002 = { $provider } ne sert pas { $protocol } sur { $host } port { $port } en { $security }.
    .help = Utilisez ce que { $provider } indique pour { $host } : { $expected }.

TL001 = Le port { $protocol } { $port } ne parle pas { $security } : la connexion va bloquer ou échouer.
    .help = Choisissez la sécurité { $expected } sur le port { $port }, ou le port { $other_port } en { $security }.

TL002 = La sécurité { $protocol } « { $value } » signifie aucun chiffrement : votre mot de passe et vos messages circuleraient en clair.
    .help = Utilisez « starttls » (SMTP 587, IMAP 143) ou « implicit-tls » (SMTP 465, IMAP 993).

TL003 = Le port SMTP 25 sert aux serveurs qui se relaient le courrier : la plupart des réseaux le bloquent et la plupart des fournisseurs n'y acceptent pas de connexion.
    .help = Utilisez le port 465 en « implicit-tls », ou 587 en « starttls ».

LG001 = { $provider } attend { $form ->
        [local-part] la partie avant le @ comme identifiant { $protocol }, pas { $username }.
       *[address] l'adresse complète comme identifiant { $protocol }, pas { $username }.
    }
    .help = { $expected ->
        [none] Écrivez l'identifiant sous cette forme.
       *[other] Écrivez username = "{ $expected }".
    }

LG002 = { $provider } refuse le mot de passe de votre compte depuis un autre logiciel : il faut un mot de passe d'application.
    .help = { $provider_hint ->
        [none] Créez un mot de passe d'application dans les paramètres de sécurité de { $provider } et mettez-le dans la variable du mot de passe.
       *[other] { $provider_hint }
    }

LG003 = { $client ->
        [registered] { $provider } n'accepte que les connexions OAuth2 : connectez-vous avec { $provider } au lieu de donner un mot de passe.
        [none] { $provider } n'accepte que les connexions OAuth2, et cette application n'a pas de client OAuth2 enregistré auprès de { $provider } : aucun mot de passe, même d'application, ne fonctionnera.
       *[other] { $provider } n'accepte que les connexions OAuth2 : aucun mot de passe, même d'application, ne fonctionnera.
    }
    .help = { $client ->
        [registered] Utilisez le bouton « Se connecter avec { $provider } » de l'application (ou `courriel auth login --config FICHIER`) et retirez le mot de passe.
        [none] L'administrateur de l'application doit enregistrer un client OAuth2 auprès de { $provider }{ $registration ->
            [none] {""}
           *[other] {" "}({ $registration })
        } et le configurer ; en attendant, laissez les réglages SMTP vides pour que le courrier passe par le fournisseur par défaut.
       *[other] Connectez-vous plutôt avec { $provider } (OAuth2 : le bouton « Se connecter avec » de l'application, ou `courriel auth login --config FICHIER`) ; ou laissez les réglages SMTP vides pour que le courrier passe par le fournisseur par défaut.
    }

LG004 = { $variable ->
        [none] Aucun mot de passe n'est configuré pour { $protocol }.
       *[other] La variable d'environnement { $variable }, qui doit contenir le mot de passe { $protocol }, n'est pas définie.
    }
    .help = { $variable ->
        [none] Ajoutez password_env = "NOM" aux réglages { $protocol } et mettez le mot de passe dans cette variable d'environnement.
       *[other] Définissez { $variable } avec le mot de passe avant de lancer, ou corrigez le nom de la variable dans password_env.
    }

PV001 = { $provider } garde l'accès IMAP et SMTP désactivé tant que vous ne l'activez pas.
    .help = { $provider_hint ->
        [none] Activez l'accès IMAP/SMTP dans les paramètres web de { $provider }.
       *[other] { $provider_hint }
    }

PV002 = { $provider } n'offre pas d'accès IMAP et SMTP standard aux autres logiciels.
    .help = { $provider_hint ->
        [none] Retirez les réglages SMTP et IMAP : le courrier passera par le fournisseur par défaut.
       *[other] { $provider_hint }
    }

AR001 = { $provider } range déjà une copie de chaque message envoyé par son serveur dans vos Éléments envoyés : avec copy_to_sent, chaque message y apparaîtrait deux fois.
    .help = Mettez copy_to_sent = false dans les réglages IMAP.

AR002 = { $folder ->
        [none] Aucun dossier des messages envoyés n'est choisi : les copies des messages envoyés ne peuvent pas être rangées.
        [auto] Le serveur IMAP n'a aucun dossier des messages envoyés, et create_sent_folder = false interdit d'en créer un : les copies des messages envoyés ne peuvent pas être rangées.
       *[other] Le dossier « { $folder } » n'existe pas sur le serveur IMAP : les copies des messages envoyés ne peuvent pas être rangées.
    }
    .help = { $folder ->
        [none] Mettez sent_folder = "auto" pour utiliser le dossier des envoyés du serveur, ou le nom d'un dossier.
        [auto] Retirez create_sent_folder = false pour laisser courriel créer un dossier des envoyés, créez-en un dans votre webmail ou votre logiciel de messagerie, ou mettez sent_folder au nom d'un des dossiers du serveur.
       *[other] Choisissez un des dossiers du serveur, ou mettez sent_folder = "auto".
    }

AR003 = Le serveur IMAP n'a pas encore de dossier des messages envoyés : courriel créera « { $folder } » en y rangeant la première copie.
    .help = Rien à faire si cela vous convient. Si votre logiciel de messagerie range les messages envoyés dans un autre dossier, mettez sent_folder à son nom ; mettez create_sent_folder = false pour être prévenu au lieu qu'un dossier soit créé.

DF001 = Aucun serveur SMTP n'est configuré : le courrier partira par le fournisseur par défaut de l'application, sous votre adresse.
    .help = Pour éviter les dossiers de spam et recevoir les retours d'erreur, renseignez les réglages SMTP de votre propre fournisseur.

DF002 = Aucun serveur SMTP n'est configuré : le courrier partira par le fournisseur de { $app } depuis { $address }, affiché « votre nom via { $app } », et les réponses vous parviendront à { $sender }. { $why ->
        [dmarc-reject] { $domain } demande aux destinataires de refuser le courrier à son nom envoyé par d'autres serveurs (politique DMARC « reject ») : votre propre adresse ne peut pas y être utilisée.
        [dmarc-quarantine] { $domain } demande aux destinataires de classer en spam le courrier à son nom envoyé par d'autres serveurs (politique DMARC « quarantine ») : votre propre adresse n'y est donc pas utilisée.
        [dmarc-unknown] La politique DMARC de { $domain } n'a pas pu être consultée : votre propre adresse n'y est donc pas utilisée, au cas où le courrier serait refusé.
       *[other] { $app } envoie chaque message depuis sa propre adresse.
    }
    .help = Pour envoyer sous votre propre adresse, renseignez les réglages SMTP de votre propre fournisseur.

FD001 = { $field } est manquant.
    .help = Renseignez { $field }.

FD002 = « { $value } » n'est pas une adresse e-mail valide : { $reason ->
        [missing-at] il manque le @.
        [display-name] seule l'adresse est attendue, sans nom ni chevrons.
        [empty-local-part] rien ne précède le @.
        [local-part-too-long] la partie avant le @ dépasse 64 caractères.
        [dots] la partie avant le @ commence ou finit par un point, ou a deux points de suite.
        [character] la partie avant le @ contient un caractère interdit.
        [domain] la partie après le @ n'est pas un domaine valide.
       *[other] elle ne peut pas être lue comme une adresse.
    }
    .help = Écrivez l'adresse seule, sous la forme nom@domaine, par exemple isabelle.martin@yahoo.fr.

FD003 = « { $value } » n'est pas un nom de serveur { $protocol } valide : { $reason ->
        [scheme] c'est une URL, pas un nom de serveur.
        [port] il contient un port.
        [single-label] il n'a pas de domaine.
       *[other] il contient des caractères interdits dans un nom de serveur.
    }
    .help = Écrivez le nom du serveur seul, par exemple smtp.mail.yahoo.com, et mettez le port dans port.

FD004 = Le port { $protocol } { $value } n'existe pas : les ports vont de 1 à 65535.
    .help = Utilisez { $implicit } en TLS implicite ou { $starttls } en STARTTLS.

FD005 = « { $value } » n'est pas un mode de sécurité { $protocol }.
    .help = { $suggestion ->
        [none] Écrivez « implicit-tls » ou « starttls ».
       *[other] Écrivez « { $suggestion } ».
    }

## Échecs rencontrés en contactant un serveur (codes IM : IMAP).

IM001 = IMAP n'est pas configuré : les copies des messages envoyés ne sont pas rangées.
    .help = Renseignez les réglages IMAP pour ranger une copie de chaque message dans vos Éléments envoyés.

IM002 = Le nom du serveur IMAP { $host } n'existe pas (échec de la résolution DNS).
    .help = Vérifiez l'orthographe du nom de serveur ; les pages d'aide de votre fournisseur donnent le bon.

IM003 = Le serveur IMAP { $host } refuse les connexions sur le port { $port }.
    .help = Vérifiez le port : 993 en TLS implicite, 143 en STARTTLS.

IM004 = Le serveur IMAP { $host }:{ $port } n'a pas répondu en { $seconds } s ({ $step }).
    .help = Vérifiez le serveur et le port (un port qui attend d'abord TLS bloque un client STARTTLS, et inversement), puis réessayez plus tard.

IM005 = Le certificat de { $host } n'est pas signé par une autorité reconnue par ce système.
    .help = Si votre fournisseur utilise une autorité privée, indiquez son certificat dans ca_file ; sinon la connexion est peut-être interceptée : ne vous connectez pas.

IM006 = Le certificat présenté par { $host } est pour un autre nom : { $detail ->
        [none] il ne nomme aucun serveur
        [unknown] il nomme d'autres serveurs
       *[other] il est pour { $detail }
    }.
    .help = Utilisez le nom de serveur du certificat, tel que votre fournisseur l'indique.

IM007 = La connexion sécurisée à { $host } a échoué : { $detail }.
    .help = Vérifiez le port et le mode de sécurité : 993 en implicit-tls, 143 en starttls.

IM008 = Le serveur IMAP { $host }:{ $port } ne propose pas STARTTLS : votre mot de passe circulerait en clair, courriel ne s'est donc pas connecté.
    .help = Utilisez le port 993 en implicit-tls, ou demandez à votre fournisseur une connexion chiffrée.

IM009 = Le serveur IMAP a refusé la connexion de { $user } : { $detail }
    .help = Vérifiez l'identifiant et le mot de passe ; beaucoup de fournisseurs exigent un mot de passe d'application pour les autres logiciels.

IM010 = Le serveur IMAP { $host } a répondu quelque chose d'inattendu : { $detail }
    .help = Vérifiez que le serveur et le port sont ceux d'un serveur IMAP ; si oui, réessayez plus tard.

IM011 = Le dossier « { $folder } » n'existe pas sur le serveur IMAP.
    .help = Choisissez un autre dossier, ou mettez sent_folder = "auto".

IM012 = Le serveur IMAP a refusé de ranger la copie dans « { $folder } » : { $detail }
    .help = Vérifiez le quota de la boîte et les droits du dossier ; la copie est conservée et sera rangée à nouveau.

IM013 = La connexion au serveur IMAP { $host } a été perdue : { $detail }
    .help = Rien à changer si cela arrive rarement : la copie est conservée et rangée plus tard.

IM014 = Les réglages IMAP comportent des erreurs ({ $codes }) : la copie du message envoyé attend dans la file d'attente.
    .help = Lancez `courriel check` et corrigez les réglages IMAP ; `courriel spool retry` rangera ensuite la copie.

IM015 = Le certificat du serveur IMAP { $host } { $date ->
        [unknown] a expiré
       *[other] a expiré le { $date }
    } : courriel ne s'y connecte pas.
    .help = L'administrateur du serveur doit renouveler le certificat (un certificat expiré ne prouve plus l'identité du serveur) ; les copies attendent dans la file d'attente en attendant. Si la date de cet ordinateur est fausse, corrigez-la.

IM016 = Le serveur IMAP a refusé de créer le dossier des envoyés « { $folder } » : { $detail }
    .help = Créez un dossier des messages envoyés dans votre webmail ou votre logiciel de messagerie, ou mettez sent_folder au nom d'un des dossiers du serveur ; la copie est conservée : `courriel spool retry --failed` la rangera ensuite.

IM017 = Le serveur IMAP n'a aucun dossier des messages envoyés, et create_sent_folder = false interdit d'en créer un.
    .help = Retirez create_sent_folder = false, créez un dossier des messages envoyés dans votre webmail ou votre logiciel de messagerie, ou mettez sent_folder au nom d'un des dossiers du serveur ; la copie est conservée : `courriel spool retry --failed` la rangera ensuite.

SP001 = La copie du message envoyé n'a pas pu être écrite dans la file d'attente { $dir } : { $detail }
    .help = Le message est parti, mais sa copie n'est pas conservée : libérez de la place sur le disque ou corrigez les droits du dossier de la file d'attente ; pour une file d'attente PostgreSQL, vérifiez que la base de données répond.

SP002 = La copie { $entry } est classée par un autre processus : celui-ci l'a gardée trop longtemps (sa réservation dans la file d'attente a expiré).
    .help = Rien n'est perdu et elle ne sera pas classée deux fois. Si cela arrive souvent, donnez à la file d'attente un bail plus long que la durée qu'un classement peut prendre selon les délais IMAP.

SP003 = La copie { $entry } a été faite pour la boîte { $mailbox }, mais le compte « { $account } » désigne maintenant { $now } : elle n'y est pas classée.
    .help = Rien n'est perdu : la copie est gardée, marquée en échec. Si le compte a été modifié par erreur, remettez son serveur IMAP et son identifiant, puis lancez `courriel spool retry --failed` ; si le compte appartient maintenant à quelqu'un d'autre, la copie revient à l'ancienne boîte.

SP004 = Le message n'a pas été envoyé : sa copie n'a pas pu être écrite d'abord dans la file d'attente { $dir } ({ $detail }).
    .help = Libérez de la place sur le disque ou corrigez les droits du dossier de la file d'attente (pour une file d'attente PostgreSQL, vérifiez que la base de données répond), puis envoyez de nouveau : rien n'est parti.

## Échecs rencontrés à l'envoi (codes SM : SMTP).

SM002 = Le nom du serveur SMTP { $host } n'existe pas (échec de la résolution DNS).
    .help = Vérifiez l'orthographe du nom de serveur ; les pages d'aide de votre fournisseur donnent le bon.

SM003 = Le serveur SMTP { $host } refuse les connexions sur le port { $port }.
    .help = Vérifiez le port : 465 en TLS implicite, 587 en STARTTLS.

SM004 = Le serveur SMTP { $host }:{ $port } n'a pas répondu en { $seconds } s ({ $step }).
    .help = Vérifiez le serveur et le port (un port qui attend d'abord TLS bloque un client STARTTLS, et inversement), puis réessayez plus tard.

SM005 = Le certificat de { $host } n'est pas signé par une autorité reconnue par ce système.
    .help = Si votre fournisseur utilise une autorité privée, indiquez son certificat dans ca_file ; sinon la connexion est peut-être interceptée : n'envoyez pas.

SM006 = Le certificat présenté par { $host } est pour un autre nom : { $detail ->
        [none] il ne nomme aucun serveur
        [unknown] il nomme d'autres serveurs
       *[other] il est pour { $detail }
    }.
    .help = Utilisez le nom de serveur du certificat, tel que votre fournisseur l'indique.

SM007 = La connexion sécurisée à { $host } a échoué : { $detail }.
    .help = Vérifiez le port et le mode de sécurité : 465 en implicit-tls, 587 en starttls.

SM008 = Le serveur SMTP { $host }:{ $port } ne propose pas STARTTLS : votre mot de passe circulerait en clair, courriel ne s'est donc pas connecté.
    .help = Utilisez le port 465 en implicit-tls, ou demandez à votre fournisseur une connexion chiffrée.

SM009 = Le serveur SMTP a refusé la connexion de { $user } : { $detail }
    .help = Vérifiez l'identifiant et le mot de passe ; beaucoup de fournisseurs exigent un mot de passe d'application pour les autres logiciels.

SM010 = Le serveur SMTP refuse { $sender } comme expéditeur pour l'identifiant { $user } : { $detail }
    .help = Envoyez depuis l'adresse de connexion, ou connectez-vous en tant que { $sender } (voir la règle SE001).

SM011 = Le serveur SMTP a refusé tous les destinataires : { $detail }
    .help = Vérifiez les adresses des destinataires.

SM012 = Le message est trop gros pour le serveur SMTP : { $detail }
    .help = Envoyez des pièces jointes plus petites, ou partagez les gros fichiers par un lien.

SM013 = Le serveur SMTP a refusé le message pour l'instant : { $detail }
    .help = Rien à changer : courriel réessaie plus tard.

SM014 = Le serveur SMTP a rejeté le message : { $detail }
    .help = Lisez la raison donnée par le serveur ; si elle parle de spam ou de politique, vérifiez l'expéditeur et le contenu.

SM015 = Le serveur SMTP { $host } a répondu quelque chose d'inattendu, ou la connexion a été coupée : { $detail }
    .help = Vérifiez que le serveur et le port sont ceux d'un serveur d'envoi SMTP ; si oui, réessayez plus tard.

SM016 = Le message a été remis au serveur SMTP { $host }, mais sa réponse n'est jamais venue ou n'avait pas de sens : { $detail }
    .help = Le message a peut-être été distribué : vérifiez auprès d'un destinataire (ou dans les journaux du serveur) avant de l'envoyer à nouveau.

SM017 = Le serveur SMTP { $host } ne propose aucune méthode de connexion que courriel sait utiliser ({ $offered ->
        [none] il n'en propose aucune
       *[other] il propose { $offered }
    }) ; courriel se connecte avec PLAIN ou LOGIN, sous TLS.
    .help = Le mot de passe est peut-être juste : demandez à votre fournisseur quel serveur et quel port acceptent une connexion par mot de passe depuis un logiciel de messagerie (souvent 465 ou 587), ou s'il faut un mot de passe d'application.

SM018 = Le certificat du serveur SMTP { $host } { $date ->
        [unknown] a expiré
       *[other] a expiré le { $date }
    } : courriel ne s'y connecte pas.
    .help = L'administrateur du serveur doit renouveler le certificat (un certificat expiré ne prouve plus l'identité du serveur) ; n'envoyez pas par ce serveur d'ici là. Si la date de cet ordinateur est fausse, corrigez-la.

SM019 = Le serveur SMTP { $host }:{ $port } propose STARTTLS mais a refusé de le démarrer ({ $detail }) : courriel ne s'est pas connecté sans chiffrement.
    .help = Réessayez plus tard ; si cela dure, utilisez le port 465 en implicit-tls, ou signalez à votre fournisseur que son serveur ne peut pas chiffrer les connexions.

SM020 = L'adresse { $address } contient des caractères hors ASCII, et le serveur SMTP { $host } n'accepte pas de telles adresses (il ne propose pas SMTPUTF8) : le message n'a pas été envoyé.
    .help = Utilisez une forme ASCII de l'adresse si son titulaire en a une, ou envoyez par un serveur qui propose SMTPUTF8.

SM021 = Le message fait { $size } octets, plus que les { $limit } octets que le serveur SMTP { $host } dit accepter : il n'a pas été envoyé.
    .help = Envoyez des pièces jointes plus petites, ou partagez les gros fichiers par un lien.

## Échecs du fournisseur par défaut (codes SG : l'API de SendGrid).

SG001 = Le fournisseur par défaut n'est pas configuré : aucune clé d'API SendGrid n'a été donnée.
    .help = Indiquez la clé d'API (COURRIEL_SENDGRID_API_KEY pour l'outil courriel), ou renseignez les réglages SMTP du compte.

SG002 = SendGrid a refusé la clé d'API (401).
    .help = Vérifiez la clé d'API ; créez-en une nouvelle avec la permission Mail Send si elle a été révoquée.

SG003 = SendGrid a refusé d'envoyer (403) : { $detail }
    .help = Vérifiez que la clé d'API a la permission Mail Send et que l'expéditeur est vérifié chez SendGrid.

SG004 = SendGrid a rejeté le message (400) : { $detail }
    .help = Corrigez ce que SendGrid indique ; le message n'a pas été envoyé.

SG005 = Le message est trop gros pour SendGrid (413).
    .help = Envoyez des pièces jointes plus petites (SendGrid accepte 30 Mo en tout), ou partagez les gros fichiers par un lien.

SG006 = SendGrid demande de ralentir (429) ; il refusait encore après { $attempts } tentatives.
    .help = Rien à changer : courriel réessaie plus tard ; si cela dure, vérifiez les limites de votre offre SendGrid.

SG007 = SendGrid a échoué ({ $status }) après { $attempts } tentatives.
    .help = Rien à changer : courriel réessaie plus tard.

SG008 = SendGrid n'a pas pu être joint à { $url } : { $detail }
    .help = Vérifiez le réseau et l'adresse de l'API ; courriel réessaie plus tard.

SG009 = Le message a été remis à SendGrid ({ $url }), puis la connexion a échoué avant sa réponse ({ $detail }) : il a pu partir, ou non.
    .help = Ne le renvoyez pas à l'aveugle : vérifiez d'abord le journal d'activité de SendGrid (ou demandez au destinataire). Sa copie est gardée et rangée non lue dans le dossier Envoyés.

## Où les connexions peuvent aller (codes NT : SMTP comme IMAP).

NT001 = Le serveur { $host } est à l'adresse { $address }, { $range ->
        [loopback] une adresse de bouclage (cette machine elle-même)
        [private] une adresse de réseau privé
        [shared] une adresse de NAT d'opérateur (100.64.0.0/10)
        [link-local] une adresse lien-local
        [cloud-metadata] l'adresse d'un service de métadonnées cloud
        [multicast] une adresse de multidiffusion
        [unspecified] une adresse non spécifiée
        [broadcast] l'adresse de diffusion
        [documentation] une adresse réservée à la documentation
       *[other] une adresse réservée
    } : cette application ne s'y connecte pas.
    .help = Indiquez le nom public de votre serveur de messagerie (comme smtp.example.com), tel que votre fournisseur le documente. Si le serveur se trouve réellement sur un réseau privé, demandez à l'administrateur de l'application d'autoriser son adresse.

NT002 = Aucun serveur de messagerie n'a pu être joint à { $host }:{ $port }, ou il n'a pas répondu comme tel.
    .help = Vérifiez le nom du serveur, le port et la sécurité (465 et 993 : TLS implicite ; 587 et 143 : STARTTLS) tels que votre fournisseur les documente, puis réessayez plus tard.

NT003 = Le fichier d'autorité de certification { $file } est inutilisable : { $detail }
    .help = Le ca_file du compte doit désigner un fichier ordinaire lisible contenant le certificat PEM de l'autorité qui a signé le certificat de votre serveur (les lignes entre BEGIN CERTIFICATE et END CERTIFICATE). Corrigez le chemin ou le fichier, puis réessayez.

EM001 = Le message ne peut pas être construit : { $detail }
    .help = Rien n'a été envoyé. L'application qui construit le message doit le corriger (un expéditeur, au moins un destinataire, un corps, des valeurs d'en-tête sur une seule ligne).

OA001 = { $user } ne s'est pas connecté avec { $provider } (aucune connexion OAuth2 n'est enregistrée pour ce compte).
    .help = Connectez-vous avec { $provider } (le bouton « Se connecter avec » de l'application, ou `courriel auth login --config FICHIER`) ; la connexion est ensuite conservée et renouvelée.

OA002 = { $provider } n'accepte plus la connexion de { $user } : { $detail }
    .help = L'utilisateur doit se reconnecter avec { $provider } : l'autorisation a été révoquée ou a expiré, ou le mot de passe ou les réglages de sécurité du compte ont changé.

OA003 = { $provider } exige qu'un administrateur de l'organisation de { $user } approuve cette application : { $detail }
    .help = Demandez à un administrateur de l'organisation d'approuver l'application (consentement administrateur) dans { $provider }, puis reconnectez-vous.

OA004 = { $provider } a refusé le client OAuth2 de l'application : { $detail }
    .help = L'identifiant ou le secret du client de l'application est faux, ou ce client ne peut pas demander ces autorisations : son administrateur doit vérifier le client enregistré auprès de { $provider }.

OA005 = Le service de connexion { $host } n'a pas pu être joint ou a échoué : { $detail }
    .help = Rien n'a été envoyé. Réessayez plus tard ; si cela dure, vérifiez que cette machine joint { $host } en HTTPS.

OA006 = Le serveur { $protocol } { $host } a refusé le jeton OAuth2 de { $user }, même renouvelé : { $detail }
    .help = La connexion n'a pas une autorisation dont le serveur a besoin, ou la boîte aux lettres n'a pas d'accès { $protocol } : reconnectez-vous en approuvant toutes les autorisations demandées ; sur Microsoft 365, un administrateur doit parfois autoriser IMAP ou SMTP AUTH pour la boîte aux lettres.

OA007 = SMTP AUTH est désactivé pour la boîte aux lettres ou l'organisation de { $user } : { $detail }
    .help = Un administrateur de l'organisation doit autoriser le SMTP authentifié (SMTP AUTH) pour cette boîte aux lettres (Microsoft 365 : dans le centre d'administration Microsoft 365, Courrier > Gérer les applications de messagerie > SMTP authentifié) ; d'ici là, le courrier ne passe par le fournisseur par défaut de l'application que si aucun serveur SMTP n'est configuré.

OA008 = { $host } n'accepte plus de mot de passe pour { $user } : { $detail }
    .help = Ce fournisseur a supprimé la connexion par mot de passe : connectez-vous avec OAuth2 (le bouton « Se connecter avec » de l'application, ou `courriel auth login --config FICHIER`).

OA009 = Le stockage des jetons OAuth2 n'a pas pu être lu ou écrit : { $detail }
    .help = Rien n'a été envoyé. Vérifiez le stockage des jetons : les droits et la place libre de son dossier, ou que sa base de données répond.

OA010 = Le serveur { $protocol } { $host } ne propose aucune connexion OAuth2 utilisable par courriel ({ $offered ->
        [none] il n'en propose aucune
       *[other] il propose { $offered }
    }).
    .help = courriel se connecte avec XOAUTH2 ou OAUTHBEARER ; vérifiez l'hôte et le port du serveur, ou connectez-vous avec un mot de passe si le fournisseur en accepte un.

OA011 = L'application n'a pas de client OAuth2 pour { $provider }.
    .help = L'administrateur de l'application doit enregistrer une application auprès de { $provider } et configurer son identifiant de client (et son secret) ; les utilisateurs peuvent ensuite se connecter.

OA012 = La connexion avec { $provider } n'a pas abouti : { $detail }
    .help = Reconnectez-vous en approuvant les autorisations demandées ; partez de l'application, pas d'un ancien lien.
