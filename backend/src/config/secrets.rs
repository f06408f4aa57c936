//! The server's own secrets: the JWT signing key and the credential master key.
//!
//! Rules: they come from `COPYTRADE_JWT_SECRET` / `COPYTRADE_MASTER_KEY`, or else from key files in
//! the data directory that the server generates once (mode 0600) and reuses. They never reach the
//! database, a log line or an error message; a key of the wrong length, or a key file that group
//! or others may read or write, stops the server at start.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use super::ConfigError;

/// Bytes that must stay secret: `Debug` prints a mask, memory is zeroed on drop.
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret itself; call only where it is used as a key.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBytes(••••, {} bytes)", self.0.len())
    }
}

/// The secrets the server runs with.
#[derive(Debug, Clone)]
pub struct ServerSecrets {
    /// Signs session tokens (HS256): at least 32 bytes.
    pub jwt_secret: SecretBytes,
    /// Derive the vault's encryption and MAC keys.
    pub master_keys: MasterKeys,
}

/// The vault's key ring as configured: the active master key (exactly 32 bytes) seals, and
/// earlier ones still open records that `rotate-master-key` has not reached yet.
#[derive(Debug, Clone)]
pub struct MasterKeys {
    pub active: SecretBytes,
    pub previous: Vec<SecretBytes>,
    /// Where the active key came from; a key in the data directory can be rotated in place.
    pub source: SecretSource,
}

/// Earlier master keys, base64, separated by commas or white space.
pub const PREVIOUS_MASTER_KEYS_ENV: &str = "COPYTRADE_PREVIOUS_MASTER_KEYS";
/// Earlier master keys kept beside `master.key`, one per line.
pub const PREVIOUS_MASTER_KEYS_FILE: &str = "master.key.previous";

/// How one secret is named and checked.
struct KeySpec {
    what: &'static str,
    env: &'static str,
    file: &'static str,
    /// Accepted decoded lengths, inclusive.
    min_len: usize,
    max_len: usize,
}

const JWT_SECRET: KeySpec = KeySpec {
    what: "JWT signing key",
    env: "COPYTRADE_JWT_SECRET",
    file: "jwt-secret.key",
    min_len: 32,
    max_len: 1024,
};

const MASTER_KEY: KeySpec = KeySpec {
    what: "master key",
    env: "COPYTRADE_MASTER_KEY",
    file: "master.key",
    min_len: 32,
    max_len: 32,
};

/// Each secret's name and where it came from.
pub type SecretSources = Vec<(&'static str, SecretSource)>;

/// Where a secret came from, for the start-up log (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(&'static str),
    File(PathBuf),
    Generated(PathBuf),
}

impl ServerSecrets {
    /// Loads both secrets from the environment (through `lookup`) or the data directory,
    /// generating missing key files. Returns where each came from, for the log.
    pub fn load(
        data_dir: &Path,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(Self, SecretSources), ConfigError> {
        let (jwt_secret, jwt_source) = load_one(&JWT_SECRET, data_dir, &lookup)?;
        let master_keys = MasterKeys::load(data_dir, &lookup)?;
        let sources = vec![
            (JWT_SECRET.what, jwt_source),
            (MASTER_KEY.what, master_keys.source.clone()),
        ];
        Ok((
            Self {
                jwt_secret,
                master_keys,
            },
            sources,
        ))
    }
}

impl MasterKeys {
    /// The active key from `COPYTRADE_MASTER_KEY` or `master.key` (generated if missing), and
    /// the previous ones from `COPYTRADE_PREVIOUS_MASTER_KEYS` or `master.key.previous`.
    pub fn load(
        data_dir: &Path,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (active, source) = load_one(&MASTER_KEY, data_dir, lookup)?;
        let previous = match lookup(PREVIOUS_MASTER_KEYS_ENV).filter(|v| !v.trim().is_empty()) {
            Some(list) => decode_list(&list).map_err(|why| ConfigError::Invalid {
                var: PREVIOUS_MASTER_KEYS_ENV,
                why,
            })?,
            None => read_previous_file(data_dir)?,
        };
        Ok(Self {
            active,
            previous,
            source,
        })
    }

    /// Reads the key files again (a running server notices `rotate-master-key`).
    pub fn reload_files(data_dir: &Path) -> Result<Self, ConfigError> {
        Self::load(data_dir, &|_: &str| None)
    }

    /// Every key of the ring, the active one first.
    pub fn all(&self) -> impl Iterator<Item = &SecretBytes> {
        std::iter::once(&self.active).chain(&self.previous)
    }
}

fn decode_list(list: &str) -> Result<Vec<SecretBytes>, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .enumerate()
        .map(|(index, item)| {
            decode(&MASTER_KEY, item).map_err(|why| format!("key {}: {why}", index + 1))
        })
        .collect()
}

fn read_previous_file(data_dir: &Path) -> Result<Vec<SecretBytes>, ConfigError> {
    let path = data_dir.join(PREVIOUS_MASTER_KEYS_FILE);
    let fail = |why: String| ConfigError::KeyFile {
        what: "previous master keys",
        path: path.clone(),
        why,
    };
    match read_key_file(&path).map_err(fail)? {
        Some(text) => decode_list(&text).map_err(fail),
        None => Ok(Vec::new()),
    }
}

/// Reads a key file, or `None` when there is none. Like ssh with a private key, it refuses a
/// file that group or others may read or write: other local accounts could have copied the key
/// (docs/security.md).
fn read_key_file(path: &Path) -> Result<Option<Zeroizing<String>>, String> {
    let unreadable = |err: std::io::Error| format!("cannot be read ({err})");
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(unreadable(err)),
    };
    // The open file's mode, not the path's, so a file swapped in between is not missed.
    let metadata = file.metadata().map_err(unreadable)?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "is open to group or others (mode {mode:03o}); a key file must be private to the \
             server's user: run `chmod 600 {}`",
            path.display()
        ));
    }
    // Room for the whole file up front: a growing buffer would leave unzeroed copies behind.
    let capacity = usize::try_from(metadata.len())
        .unwrap_or(0)
        .saturating_add(1);
    let mut text = Zeroizing::new(String::with_capacity(capacity));
    file.read_to_string(&mut text).map_err(unreadable)?;
    Ok(Some(text))
}

/// Makes a new active master key in the data directory: the current key moves to
/// `master.key.previous` first, so that a crash at any point leaves every key readable.
pub fn rotate_master_key_file(data_dir: &Path) -> Result<(), ConfigError> {
    let keys = MasterKeys::reload_files(data_dir)?;
    let mut previous = keys.previous.clone();
    previous.insert(0, keys.active.clone());
    write_previous_keys(data_dir, &previous)?;
    let mut fresh = Zeroizing::new(vec![0u8; 32]);
    getrandom::fill(&mut fresh).map_err(|err| ConfigError::KeyFile {
        what: MASTER_KEY.what,
        path: data_dir.join(MASTER_KEY.file),
        why: format!("no random bytes ({err})"),
    })?;
    replace_file(data_dir, MASTER_KEY.file, &BASE64.encode(&*fresh)).map_err(|err| {
        ConfigError::KeyFile {
            what: MASTER_KEY.what,
            path: data_dir.join(MASTER_KEY.file),
            why: format!("cannot be written ({err})"),
        }
    })
}

/// Rewrites `master.key.previous` with exactly `keys` (an empty list removes the file).
pub fn write_previous_keys(data_dir: &Path, keys: &[SecretBytes]) -> Result<(), ConfigError> {
    let path = data_dir.join(PREVIOUS_MASTER_KEYS_FILE);
    let result = if keys.is_empty() {
        match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    } else {
        let text = Zeroizing::new(
            keys.iter()
                .map(|key| BASE64.encode(key.expose()))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        replace_file(data_dir, PREVIOUS_MASTER_KEYS_FILE, &text)
    };
    result.map_err(|err| ConfigError::KeyFile {
        what: "previous master keys",
        path,
        why: format!("cannot be written ({err})"),
    })
}

/// Writes `name` in `dir` atomically (temporary file, fsync, rename), readable by the owner only.
fn replace_file(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temporary);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}

fn load_one(
    spec: &KeySpec,
    data_dir: &Path,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<(SecretBytes, SecretSource), ConfigError> {
    if let Some(value) = lookup(spec.env).filter(|v| !v.trim().is_empty()) {
        let bytes = decode(spec, value.trim()).map_err(|why| ConfigError::Invalid {
            var: spec.env,
            why: format!("{why}; generate one with `openssl rand -base64 32`"),
        })?;
        return Ok((bytes, SecretSource::Env(spec.env)));
    }
    let path = data_dir.join(spec.file);
    let key_file_error = |why: String| ConfigError::KeyFile {
        what: spec.what,
        path: path.clone(),
        why,
    };
    match read_key_file(&path).map_err(key_file_error)? {
        Some(text) => {
            let bytes = decode(spec, text.trim()).map_err(|why| {
                key_file_error(format!(
                    "{why}; restore the original file, or set {} (a lost key cannot be recovered)",
                    spec.env
                ))
            })?;
            Ok((bytes, SecretSource::File(path)))
        }
        None => {
            let bytes = generate(&path, spec.min_len.max(32)).map_err(|err| {
                key_file_error(format!(
                    "cannot be created ({err}); set {} instead",
                    spec.env
                ))
            })?;
            Ok((bytes, SecretSource::Generated(path)))
        }
    }
}

fn decode(spec: &KeySpec, text: &str) -> Result<SecretBytes, String> {
    let bytes = Zeroizing::new(
        BASE64
            .decode(text)
            .map_err(|_| "is not valid base64".to_owned())?,
    );
    let len = bytes.len();
    if len < spec.min_len || len > spec.max_len {
        let expected = if spec.min_len == spec.max_len {
            format!("exactly {}", spec.min_len)
        } else {
            format!("at least {}", spec.min_len)
        };
        return Err(format!(
            "holds {len} bytes, expected {expected} (base64-encoded)"
        ));
    }
    Ok(SecretBytes::new(bytes.to_vec()))
}

/// Writes `len` fresh random bytes, base64-encoded, to a new file only the owner can read.
fn generate(path: &Path, len: usize) -> std::io::Result<SecretBytes> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let encoded = Zeroizing::new(BASE64.encode(&*bytes));
    // create_new: never overwrite a key another process just wrote.
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(encoded.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    // The umask can only remove bits; make sure nothing was added by an odd file system default.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(SecretBytes::new(bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn missing_keys_are_generated_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let (first, sources) = ServerSecrets::load(dir.path(), no_env).unwrap();
        assert!(matches!(sources[0].1, SecretSource::Generated(_)));
        for file in ["jwt-secret.key", "master.key"] {
            let mode = std::fs::metadata(dir.path().join(file))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
        let (second, sources) = ServerSecrets::load(dir.path(), no_env).unwrap();
        assert!(matches!(sources[1].1, SecretSource::File(_)));
        assert_eq!(
            first.master_keys.active.expose(),
            second.master_keys.active.expose()
        );
        assert_eq!(first.jwt_secret.expose(), second.jwt_secret.expose());
        assert_eq!(first.master_keys.active.expose().len(), 32);
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        write_key_file(
            &dir.path().join("master.key"),
            &BASE64.encode([7u8; 16]),
            0o600,
        );
        let err = ServerSecrets::load(dir.path(), no_env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("master key"), "{err}");
        assert!(err.contains("holds 16 bytes, expected exactly 32"), "{err}");
    }

    fn write_key_file(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn a_key_file_others_can_read_or_write_is_refused_as_ssh_does() {
        let key = BASE64.encode([5u8; 32]);
        for file in ["master.key", "jwt-secret.key", PREVIOUS_MASTER_KEYS_FILE] {
            for mode in [0o640, 0o604, 0o620, 0o602] {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join(file);
                write_key_file(&path, &key, mode);
                let err = ServerSecrets::load(dir.path(), no_env)
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(&path.display().to_string()), "{err}");
                assert!(
                    err.contains(&format!("is open to group or others (mode {mode:03o})")),
                    "{err}"
                );
                assert!(
                    err.contains(&format!("run `chmod 600 {}`", path.display())),
                    "{err}"
                );
                // After the fix the same file is accepted.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
                ServerSecrets::load(dir.path(), no_env).unwrap();
            }
        }
    }

    #[test]
    fn owner_only_key_files_are_accepted_whatever_the_owner_bits() {
        let dir = tempfile::tempdir().unwrap();
        let key = BASE64.encode([6u8; 32]);
        write_key_file(&dir.path().join("master.key"), &key, 0o400);
        let (secrets, _) = ServerSecrets::load(dir.path(), no_env).unwrap();
        assert_eq!(secrets.master_keys.active.expose(), &[6u8; 32]);
    }

    #[test]
    fn env_values_win_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let key = BASE64.encode([1u8; 32]);
        let lookup = |name: &str| (name == "COPYTRADE_MASTER_KEY").then(|| key.clone());
        let (secrets, sources) = ServerSecrets::load(dir.path(), lookup).unwrap();
        assert_eq!(secrets.master_keys.active.expose(), &[1u8; 32]);
        assert_eq!(sources[1].1, SecretSource::Env("COPYTRADE_MASTER_KEY"));
        assert!(!dir.path().join("master.key").exists());

        let short = |name: &str| (name == "COPYTRADE_JWT_SECRET").then(|| BASE64.encode([1u8; 8]));
        let err = ServerSecrets::load(dir.path(), short)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("COPYTRADE_JWT_SECRET holds 8 bytes, expected at least 32"),
            "{err}"
        );
    }

    #[test]
    fn rotating_the_key_file_keeps_the_old_key_as_previous() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = ServerSecrets::load(dir.path(), no_env).unwrap();
        rotate_master_key_file(dir.path()).unwrap();
        rotate_master_key_file(dir.path()).unwrap();
        let keys = MasterKeys::reload_files(dir.path()).unwrap();
        assert_eq!(keys.previous.len(), 2);
        assert_eq!(keys.previous[1].expose(), first.master_keys.active.expose());
        assert_ne!(keys.active.expose(), first.master_keys.active.expose());
        let mode = std::fs::metadata(dir.path().join(PREVIOUS_MASTER_KEYS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        write_previous_keys(dir.path(), &[]).unwrap();
        assert!(
            MasterKeys::reload_files(dir.path())
                .unwrap()
                .previous
                .is_empty()
        );
    }

    #[test]
    fn previous_keys_from_the_environment_are_checked_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let good = BASE64.encode([2u8; 32]);
        let list = format!("{good}, {}", BASE64.encode([3u8; 31]));
        let lookup = |name: &str| (name == PREVIOUS_MASTER_KEYS_ENV).then(|| list.clone());
        let err = MasterKeys::load(dir.path(), &lookup)
            .unwrap_err()
            .to_string();
        assert!(err.contains("key 2: holds 31 bytes"), "{err}");
        let lookup = |name: &str| (name == PREVIOUS_MASTER_KEYS_ENV).then(|| good.clone());
        let keys = MasterKeys::load(dir.path(), &lookup).unwrap();
        assert_eq!(keys.previous[0].expose(), &[2u8; 32]);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = SecretBytes::new(b"super-secret-value-123".to_vec());
        let shown = format!("{secret:?}");
        assert!(!shown.contains("super-secret"), "{shown}");
    }
}
