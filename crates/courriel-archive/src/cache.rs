//! The folder list, fetched only when the connection settings change (their
//! fingerprint) or when a refresh is asked for, like the reference
//! product's "…" button.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::folders::{Folder, Namespaces};
use crate::session::connect;
use crate::settings::ImapSettings;
use courriel_core::failure::Failure;

/// An account's folders as last listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderList {
    /// The namespaces.
    pub namespaces: Namespaces,
    /// The folders.
    pub folders: Vec<Folder>,
}

/// Where listings are kept.
#[derive(Debug)]
pub enum FolderCache {
    /// In this process only.
    Memory(Mutex<HashMap<String, FolderList>>),
    /// In a directory, one JSON file per fingerprint (shared by processes).
    Dir(PathBuf),
}

impl FolderCache {
    /// A cache in memory.
    #[must_use]
    pub fn in_memory() -> FolderCache {
        FolderCache::Memory(Mutex::new(HashMap::new()))
    }

    /// A cache in a directory.
    #[must_use]
    pub fn in_dir(dir: impl Into<PathBuf>) -> FolderCache {
        FolderCache::Dir(dir.into())
    }

    fn get(&self, key: &str) -> Option<FolderList> {
        match self {
            FolderCache::Memory(map) => map.lock().ok()?.get(key).cloned(),
            FolderCache::Dir(dir) => {
                serde_json::from_slice(&std::fs::read(dir.join(format!("{key}.json"))).ok()?).ok()
            }
        }
    }

    fn put(&self, key: &str, list: &FolderList) {
        match self {
            FolderCache::Memory(map) => {
                if let Ok(mut map) = map.lock() {
                    map.insert(key.to_string(), list.clone());
                }
            }
            FolderCache::Dir(dir) => {
                // A cache: failing to write it only costs a listing later.
                if std::fs::create_dir_all(dir).is_ok()
                    && let Ok(json) = serde_json::to_vec(list)
                {
                    let tmp = dir.join(format!(".{key}.tmp"));
                    if std::fs::write(&tmp, json).is_ok() {
                        let _ = std::fs::rename(tmp, dir.join(format!("{key}.json")));
                    }
                }
            }
        }
    }

    /// The folders of the account, from the cache when its settings have not
    /// changed and `refresh` is false; otherwise listed on the server and
    /// cached. The flag says whether the server was asked.
    pub async fn folders(
        &self,
        settings: &ImapSettings,
        refresh: bool,
    ) -> Result<(FolderList, bool), Failure> {
        let key = settings.fingerprint();
        if !refresh && let Some(list) = self.get(&key) {
            return Ok((list, false));
        }
        let mut session = connect(settings).await?;
        let namespaces = session.namespaces().await?;
        let folders = session.folders(&namespaces).await?;
        session.logout().await;
        let list = FolderList {
            namespaces,
            folders,
        };
        self.put(&key, &list);
        Ok((list, true))
    }
}
