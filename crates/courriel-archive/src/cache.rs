//! The folder list, fetched only when the connection settings change (their
//! fingerprint) or when a refresh is asked for, like the reference
//! product's "…" button. Kept in memory, in a directory shared by the
//! processes of one machine, or (feature `postgres`) in the spool's
//! database, shared by every worker ([`crate::Spool::folder_cache`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::folders::{Folder, Namespaces};
use crate::session::{Session, connect};
use crate::settings::ImapSettings;
use crate::spool::StoreFuture;
use courriel_core::failure::Failure;

/// An account's folders as last listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderList {
    /// The namespaces.
    pub namespaces: Namespaces,
    /// The folders.
    pub folders: Vec<Folder>,
}

/// Where folder lists are kept, keyed by the settings' fingerprint. A
/// cache: a store that fails only costs a listing.
pub trait FolderStore: Send + Sync + 'static {
    /// The list kept for `key`, if any.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<FolderList>>;
    /// Keeps `list` for `key`.
    fn put<'a>(&'a self, key: &'a str, list: &'a FolderList) -> StoreFuture<'a, ()>;
}

/// In this process only.
#[derive(Debug, Default)]
struct Memory(Mutex<HashMap<String, FolderList>>);

impl FolderStore for Memory {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<FolderList>> {
        let list = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .cloned();
        Box::pin(std::future::ready(Ok(list)))
    }

    fn put<'a>(&'a self, key: &'a str, list: &'a FolderList) -> StoreFuture<'a, ()> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_string(), list.clone());
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The largest cached folder list read back (10,000 folders fit well).
const MAX_CACHED_LIST: u64 = 8 * 1024 * 1024;

/// In a directory, one JSON file per fingerprint (shared by processes).
#[derive(Debug)]
struct Dir(PathBuf);

impl FolderStore for Dir {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<FolderList>> {
        use std::io::Read as _;
        // Bounded: a list larger than this is not ours; listed again.
        let mut bytes = Vec::new();
        let list = std::fs::File::open(self.0.join(format!("{key}.json")))
            .and_then(|f| f.take(MAX_CACHED_LIST + 1).read_to_end(&mut bytes))
            .ok()
            .filter(|&n| n as u64 <= MAX_CACHED_LIST)
            .and_then(|_| serde_json::from_slice(&bytes).ok());
        Box::pin(std::future::ready(Ok(list)))
    }

    fn put<'a>(&'a self, key: &'a str, list: &'a FolderList) -> StoreFuture<'a, ()> {
        let result = (|| {
            use std::io::Write as _;
            // Private to its owner, like the spool: folder names say much.
            crate::spool::create_private_dir(&self.0)?;
            let json = serde_json::to_vec(list).map_err(std::io::Error::other)?;
            let tmp = self.0.join(format!(".{key}.{}.tmp", std::process::id()));
            crate::spool::create_private_file(&tmp)?.write_all(&json)?;
            std::fs::rename(tmp, self.0.join(format!("{key}.json")))
        })();
        Box::pin(std::future::ready(result))
    }
}

/// Where listings are kept.
#[derive(Clone)]
pub struct FolderCache {
    store: Arc<dyn FolderStore>,
    kind: &'static str,
}

impl std::fmt::Debug for FolderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FolderCache")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl FolderCache {
    /// A cache in memory.
    #[must_use]
    pub fn in_memory() -> FolderCache {
        FolderCache {
            store: Arc::new(Memory::default()),
            kind: "memory",
        }
    }

    /// A cache in a directory.
    #[must_use]
    pub fn in_dir(dir: impl Into<PathBuf>) -> FolderCache {
        FolderCache {
            store: Arc::new(Dir(dir.into())),
            kind: "dir",
        }
    }

    /// A cache on any store.
    #[must_use]
    pub fn from_store(store: Arc<dyn FolderStore>) -> FolderCache {
        FolderCache {
            store,
            kind: "store",
        }
    }

    /// Keeps `list` as the folders of the account with these settings
    /// (one listed elsewhere, say).
    pub async fn remember(
        &self,
        settings: &ImapSettings,
        list: &FolderList,
    ) -> std::io::Result<()> {
        self.store.put(&settings.fingerprint(), list).await
    }

    /// The list kept for these settings, if any (a store that fails counts
    /// as none: it is listed again).
    pub async fn get(&self, settings: &ImapSettings) -> Option<FolderList> {
        match self.store.get(&settings.fingerprint()).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "folder cache unreadable; listing again");
                None
            }
        }
    }

    /// Lists the folders over `session` and keeps the list.
    pub(crate) async fn list(
        &self,
        session: &mut Session,
        settings: &ImapSettings,
    ) -> Result<FolderList, Failure> {
        let namespaces = session.namespaces().await?;
        let folders = session.folders(&namespaces).await?;
        let list = FolderList {
            namespaces,
            folders,
        };
        if let Err(e) = self.store.put(&settings.fingerprint(), &list).await {
            tracing::warn!(error = %e, "folder cache not written");
        }
        Ok(list)
    }

    /// The folders of the account, from the cache when its settings have not
    /// changed and `refresh` is false; otherwise listed on the server and
    /// cached. The flag says whether the server was asked.
    pub async fn folders(
        &self,
        settings: &ImapSettings,
        refresh: bool,
    ) -> Result<(FolderList, bool), Failure> {
        if !refresh && let Some(list) = self.get(settings).await {
            return Ok((list, false));
        }
        let mut session = connect(settings).await?;
        let list = self.list(&mut session, settings).await;
        session.logout().await;
        Ok((list?, true))
    }
}
