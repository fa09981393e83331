# The library's own words (English): what became of a Sent copy, and why
# a file was refused. The rules' and failures' messages are courriel-core's.

filing-filed = copy filed in { $folder }
filing-filed-created = copy filed in { $folder }, a folder created: the server had no Sent folder
filing-spooled = copy spooled: { $failure }
filing-not-filed = copy not filed: { $failure }
filing-provider-files = no copy filed: { $provider } files sent mail itself
filing-no-imap = no copy filed: IMAP is not configured
filing-disabled = no copy filed: turned off (copy_to_sent = false)

input-not-regular = is { $kind }, not a regular file
input-too-large = is { $size } bytes, more than the { $mib } MiB ({ $cap } bytes) allowed for { $input }
input-too-large-unsized = is more than the { $mib } MiB ({ $cap } bytes) allowed for { $input }
input-not-utf8 = is not UTF-8 text
input-no-certificate = { $reason }

input-attachment = an attachment
input-body = a message body
input-address-list = an address list
input-account-file = an account file
input-ca-file = a CA file

kind-fifo = a FIFO (named pipe)
kind-char-device = a character device
kind-block-device = a block device
kind-socket = a socket
kind-directory = a directory
kind-other = something else
