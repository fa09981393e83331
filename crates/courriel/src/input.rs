//! Reading the files a user names: attachments, bodies, `--to-list`
//! address lists, account files and CA files. Each is read only if it is a
//! regular file (a FIFO, a device, a directory or a socket is refused before
//! any byte is read, and opening a FIFO does not block), and only up to its
//! cap ([`Input::cap`]): a larger file is refused, never read whole.
//!
//! | input                    | cap      |
//! |--------------------------|----------|
//! | an attachment            | 50 MiB   |
//! | all attachments together | 50 MiB ([`ATTACHMENTS_TOTAL_CAP`]) |
//! | a text or HTML body      | 10 MiB   |
//! | an address list          | 10 MiB   |
//! | an account file          | 1 MiB    |
//! | a CA file                | 1 MiB    |
//!
//! Errors are [`std::io::Error`]s (so a caller's signature need not change);
//! a refusal carries an [`InputError`] (`get_ref` then `downcast_ref`),
//! whose message is in English through `Display` or in either language
//! through [`InputError::message`]. Messages do not name the file: the
//! caller does, as it does for the system's own errors.
//!
//! ```
//! use courriel::input::{self, Input};
//!
//! let err = input::read(std::path::Path::new("/dev/zero"), Input::Attachment).unwrap_err();
//! assert_eq!(err.to_string(), "is a character device, not a regular file");
//! ```

use std::fmt;
use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read as _};
use std::path::Path;

use courriel_core::account::Lang;

use crate::text::text;

const MIB: u64 = 1024 * 1024;

/// What an input file is for, which sets its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// A file attached to a message: 50 MiB.
    Attachment,
    /// A message's text or HTML body: 10 MiB.
    Body,
    /// An address list, one address a line (`courriel send --to-list`): 10 MiB.
    AddressList,
    /// An account file (TOML): 1 MiB.
    AccountFile,
    /// A file of PEM CA certificates (an account's `ca_file`): 1 MiB.
    CaFile,
}

/// The most all of a message's attachments may weigh together (before
/// their base64 encoding, which adds a third).
pub const ATTACHMENTS_TOTAL_CAP: u64 = 50 * MIB;

impl Input {
    /// The largest file accepted, in bytes.
    #[must_use]
    pub const fn cap(self) -> u64 {
        match self {
            Input::Attachment => 50 * MIB,
            Input::Body | Input::AddressList => 10 * MIB,
            Input::AccountFile | Input::CaFile => MIB,
        }
    }

    fn name(self, lang: Lang) -> String {
        let id = match self {
            Input::Attachment => "input-attachment",
            Input::Body => "input-body",
            Input::AddressList => "input-address-list",
            Input::AccountFile => "input-account-file",
            Input::CaFile => "input-ca-file",
        };
        text(lang, id, &[])
    }
}

/// Why an input file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputError {
    /// Not a regular file: a FIFO, a device, a directory, a socket.
    NotRegular(FileKind),
    /// Larger than the cap.
    TooLarge {
        /// The input it was read as.
        input: Input,
        /// Its size in bytes, when known (a file that grows while read, or
        /// whose size the system does not say, has none).
        size: Option<u64>,
    },
    /// Not UTF-8 text, where text is expected.
    NotUtf8,
    /// A CA file without a usable PEM certificate (courriel-net's reason).
    NoCertificate(String),
}

impl InputError {
    /// The message in `lang` (without the file's name).
    #[must_use]
    pub fn message(&self, lang: Lang) -> String {
        match self {
            InputError::NotRegular(kind) => {
                text(lang, "input-not-regular", &[("kind", &kind.name(lang))])
            }
            InputError::TooLarge { input, size } => {
                let cap = input.cap();
                let mib = cap / MIB;
                let name = input.name(lang);
                match size {
                    Some(size) => text(
                        lang,
                        "input-too-large",
                        &[
                            ("size", size),
                            ("mib", &mib),
                            ("cap", &cap),
                            ("input", &name),
                        ],
                    ),
                    None => text(
                        lang,
                        "input-too-large-unsized",
                        &[("mib", &mib), ("cap", &cap), ("input", &name)],
                    ),
                }
            }
            InputError::NotUtf8 => text(lang, "input-not-utf8", &[]),
            InputError::NoCertificate(reason) => {
                text(lang, "input-no-certificate", &[("reason", reason)])
            }
        }
    }

    /// The refusal inside `error`, if it is one (not a system error).
    #[must_use]
    pub fn of(error: &io::Error) -> Option<&InputError> {
        error.get_ref()?.downcast_ref()
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for InputError {}

/// `error` in `lang` when it is a refusal, else the system's message.
#[must_use]
pub fn describe(error: &io::Error, lang: Lang) -> String {
    InputError::of(error).map_or_else(|| error.to_string(), |e| e.message(lang))
}

fn refuse(kind: io::ErrorKind, error: InputError) -> io::Error {
    io::Error::new(kind, error)
}

/// What a file that is not a regular file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A named pipe: reading it could block forever.
    Fifo,
    /// A character device (`/dev/zero`: endless).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A Unix socket.
    Socket,
    /// A directory.
    Directory,
    /// Anything else.
    Other,
}

impl FileKind {
    fn of(file_type: FileType) -> FileKind {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt as _;
            if file_type.is_fifo() {
                return FileKind::Fifo;
            }
            if file_type.is_char_device() {
                return FileKind::CharDevice;
            }
            if file_type.is_block_device() {
                return FileKind::BlockDevice;
            }
            if file_type.is_socket() {
                return FileKind::Socket;
            }
        }
        if file_type.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Other
        }
    }

    fn name(self, lang: Lang) -> String {
        let id = match self {
            FileKind::Fifo => "kind-fifo",
            FileKind::CharDevice => "kind-char-device",
            FileKind::BlockDevice => "kind-block-device",
            FileKind::Socket => "kind-socket",
            FileKind::Directory => "kind-directory",
            FileKind::Other => "kind-other",
        };
        text(lang, id, &[])
    }
}

fn check_regular(file_type: FileType) -> io::Result<()> {
    if file_type.is_file() {
        Ok(())
    } else {
        Err(refuse(
            io::ErrorKind::InvalidInput,
            InputError::NotRegular(FileKind::of(file_type)),
        ))
    }
}

fn open(path: &Path) -> io::Result<File> {
    // The path first, for a clear message (opening a socket fails oddly)...
    check_regular(std::fs::metadata(path)?.file_type())?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // ... then without blocking, should a FIFO have taken its place
        // meanwhile; reading a regular file ignores O_NONBLOCK.
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    // What was opened is what counts.
    check_regular(file.metadata()?.file_type())?;
    Ok(file)
}

/// Reads the regular file at `path`, refusing it if it is larger than
/// `input`'s cap (at most the cap plus one byte is ever read).
pub fn read(path: &Path, input: Input) -> io::Result<Vec<u8>> {
    let file = open(path)?;
    let cap = input.cap();
    let too_large = |size| {
        refuse(
            io::ErrorKind::FileTooLarge,
            InputError::TooLarge { input, size },
        )
    };
    let announced = file.metadata()?.len();
    if announced > cap {
        return Err(too_large(Some(announced)));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_large(None));
    }
    Ok(bytes)
}

/// [`read`], then the bytes as UTF-8 text.
pub fn read_text(path: &Path, input: Input) -> io::Result<String> {
    String::from_utf8(read(path, input)?)
        .map_err(|_| refuse(io::ErrorKind::InvalidData, InputError::NotUtf8))
}

/// Reads a CA file: [`read`] as [`Input::CaFile`], then refused unless it
/// holds at least one usable PEM certificate (what connecting will need),
/// so an empty or wrong file is a settings problem found now.
pub fn read_ca_file(path: &Path) -> io::Result<Vec<u8>> {
    let pem = read(path, Input::CaFile)?;
    courriel_net::check_extra_ca(&pem)
        .map_err(|e| refuse(io::ErrorKind::InvalidData, InputError::NoCertificate(e)))?;
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(test: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("courriel-input-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_file_up_to_its_cap_and_refuses_one_byte_more() {
        let dir = dir("cap");
        let at = dir.join("at-cap.pem");
        std::fs::write(&at, vec![b'a'; MIB as usize]).unwrap();
        assert_eq!(read(&at, Input::AccountFile).unwrap().len(), MIB as usize);
        let over = dir.join("over.toml");
        std::fs::write(&over, vec![b'a'; MIB as usize + 1]).unwrap();
        let err = read(&over, Input::AccountFile).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            err.to_string(),
            "is 1048577 bytes, more than the 1 MiB (1048576 bytes) allowed for an account file"
        );
        assert!(describe(&err, Lang::Fr).starts_with("fait 1048577 octets"));
    }

    #[test]
    fn refuses_what_is_not_a_regular_file_before_reading() {
        let dir = dir("kinds");
        let err = read(&dir, Input::Body).unwrap_err();
        assert_eq!(err.to_string(), "is a directory, not a regular file");
        let err = read(Path::new("/dev/zero"), Input::Attachment).unwrap_err();
        assert_eq!(
            InputError::of(&err),
            Some(&InputError::NotRegular(FileKind::CharDevice))
        );
        let fifo = dir.join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Would block forever if the FIFO were opened for reading.
        let err = read(&fifo, Input::AddressList).unwrap_err();
        assert_eq!(
            err.to_string(),
            "is a FIFO (named pipe), not a regular file"
        );
        // A missing file keeps the system's error.
        let err = read(&dir.join("missing"), Input::Body).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(InputError::of(&err).is_none());
    }

    #[test]
    fn a_file_without_size_is_still_bounded() {
        // /proc files say they are empty: only the cap stops the read.
        if let Ok(text) = read_text(Path::new("/proc/self/status"), Input::AccountFile) {
            assert!(text.contains("VmHWM"));
        }
    }

    #[test]
    fn a_ca_file_needs_a_certificate() {
        let dir = dir("ca");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "# nothing here\n").unwrap();
        let err = read_ca_file(&empty).unwrap_err();
        assert_eq!(err.to_string(), "the CA file has no PEM certificate in it");
        let not_text = dir.join("bytes.pem");
        std::fs::write(&not_text, [0xff, 0xfe, 0]).unwrap();
        assert!(read_text(&not_text, Input::Body).is_err());
    }
}
