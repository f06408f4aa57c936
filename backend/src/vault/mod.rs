//! The vault (SEC-1, SEC-2): secrets at rest (TOTP seeds now, broker credentials later) are
//! AES-256-CBC encrypted under a fresh random IV and authenticated with HMAC-SHA256
//! (encrypt-then-MAC). The tag covers the format version, key id, IV, ciphertext and the
//! associated data that names the owner and purpose, so a blob copied to another row fails.
//!
//! Blob: `ver (1) ‖ key_id (4, BE) ‖ IV (16) ‖ C ‖ tag (32)`;
//! `tag = HMAC(mac_key, ver ‖ key_id ‖ IV ‖ C ‖ len(ad) (8, BE) ‖ ad)`.
//! The encryption and MAC keys are derived from the master key by HKDF-SHA256 with distinct
//! labels; the key id is a fingerprint of the master key, so a blob names the key it needs.
//!
//! Key ring (SEC-2): one active master key seals; earlier keys still open the records that
//! `copytrade rotate-master-key` ([`rotation`]) has not re-encrypted yet. When the keys live in
//! the data directory, a running server notices a rotation (the key file changes) and reloads.
//! The tag is checked in constant time before anything is decrypted, and every failure is the
//! same opaque error.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use aes::Aes256;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::config::MasterKeys;
use crate::config::secrets::SecretSource;

pub mod rotation;
mod secret;

pub use secret::SecretString;

const VERSION: u8 = 1;
const HEADER_LEN: usize = 1 + 4 + 16;
const TAG_LEN: usize = 32;

/// Opening failed: wrong key, tampered blob, or a blob that belongs elsewhere. Deliberately
/// says nothing more.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the stored secret cannot be opened")]
    Opaque,
    #[error("the system random number generator failed")]
    Random,
}

/// The keys derived from one master key.
struct KeySet {
    id: u32,
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

impl KeySet {
    fn derive(master: &[u8]) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"copytrade vault"), master);
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut mac = Zeroizing::new([0u8; 32]);
        let mut id = [0u8; 4];
        // Expanding 32 or 4 bytes from SHA-256 HKDF cannot fail (the limit is 8160 bytes).
        let _ = hkdf.expand(b"aes-256-cbc encryption key", enc.as_mut());
        let _ = hkdf.expand(b"hmac-sha256 authentication key", mac.as_mut());
        let _ = hkdf.expand(b"key id", &mut id);
        Self {
            id: u32::from_be_bytes(id),
            enc,
            mac,
        }
    }
}

/// The derived keys of every configured master key; `keys[0]` is the active one.
struct KeyRing {
    keys: Vec<KeySet>,
}

impl KeyRing {
    fn new(master_keys: &MasterKeys) -> Self {
        Self {
            keys: master_keys
                .all()
                .map(|key| KeySet::derive(key.expose()))
                .collect(),
        }
    }

    fn active(&self) -> &KeySet {
        &self.keys[0]
    }

    fn find(&self, id: u32) -> Option<&KeySet> {
        self.keys.iter().find(|keys| keys.id == id)
    }
}

/// Key files to watch: the data directory and the `master.key` version last loaded.
struct KeyFiles {
    dir: PathBuf,
    loaded: Mutex<Option<FileStamp>>,
}

/// Identifies one version of a key file: a rotation replaces the file (a new inode), so this
/// changes even when the clock's resolution would give both versions the same time.
type FileStamp = (u64, SystemTime);

/// Encrypts and opens secrets with the server's key ring.
pub struct Vault {
    ring: RwLock<Arc<KeyRing>>,
    files: Option<KeyFiles>,
}

impl Vault {
    /// A vault on `master_keys`; when they were read from files, it reloads them when
    /// `master.key` changes.
    pub fn new(master_keys: &MasterKeys) -> Self {
        let files = match &master_keys.source {
            SecretSource::File(path) | SecretSource::Generated(path) => {
                path.parent().map(|dir| KeyFiles {
                    dir: dir.to_path_buf(),
                    loaded: Mutex::new(modified(path)),
                })
            }
            SecretSource::Env(_) => None,
        };
        Self {
            ring: RwLock::new(Arc::new(KeyRing::new(master_keys))),
            files,
        }
    }

    /// A vault on one fixed key (tests and benchmarks).
    pub fn with_key(master_key: &crate::config::SecretBytes) -> Self {
        Self::new(&MasterKeys {
            active: master_key.clone(),
            previous: Vec::new(),
            source: SecretSource::Env("test"),
        })
    }

    /// The fingerprint of the active key: what `seal` writes.
    pub fn active_key_id(&self) -> u32 {
        self.refresh_if_rotated();
        self.ring().active().id
    }

    /// Whether a blob was sealed under a key other than the active one.
    pub fn needs_reseal(&self, blob: &[u8]) -> bool {
        key_id(blob) != Some(self.active_key_id())
    }

    /// Encrypts `plaintext` bound to `ad` (who owns it and what it is).
    pub fn seal(&self, plaintext: &[u8], ad: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.refresh_if_rotated();
        let ring = self.ring();
        let keys = ring.active();
        let mut iv = [0u8; 16];
        getrandom::fill(&mut iv).map_err(|_| VaultError::Random)?;
        let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(keys.enc.as_ref(), &iv)
            .map_err(|_| VaultError::Opaque)?
            .encrypt_padded_vec::<Pkcs7>(plaintext);
        let mut blob = Vec::with_capacity(HEADER_LEN + ciphertext.len() + TAG_LEN);
        blob.push(VERSION);
        blob.extend_from_slice(&keys.id.to_be_bytes());
        blob.extend_from_slice(&iv);
        blob.extend_from_slice(&ciphertext);
        let tag = mac(keys, &blob, ad)?.finalize().into_bytes();
        blob.extend_from_slice(tag.as_slice());
        Ok(blob)
    }

    /// Checks the tag, then decrypts. Any mismatch is [`VaultError::Opaque`].
    pub fn open(&self, blob: &[u8], ad: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let id = key_id(blob).ok_or(VaultError::Opaque)?;
        let mut ring = self.ring();
        if ring.find(id).is_none() {
            // Perhaps sealed by a server that already saw a rotation this one has not.
            self.refresh_if_rotated();
            ring = self.ring();
        }
        let keys = ring.find(id).ok_or(VaultError::Opaque)?;
        let (authenticated, tag) = blob.split_at(blob.len() - TAG_LEN);
        mac(keys, authenticated, ad)?
            .verify_slice(tag)
            .map_err(|_| VaultError::Opaque)?;
        let iv = &authenticated[5..HEADER_LEN];
        let ciphertext = &authenticated[HEADER_LEN..];
        cbc::Decryptor::<Aes256>::new_from_slices(keys.enc.as_ref(), iv)
            .map_err(|_| VaultError::Opaque)?
            .decrypt_padded_vec::<Pkcs7>(ciphertext)
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Opaque)
    }

    /// Opens a blob and seals it again under the active key, with the same associated data.
    pub fn reseal(&self, blob: &[u8], ad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let plaintext = self.open(blob, ad)?;
        self.seal(&plaintext, ad)
    }

    fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(ring) => ring.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the key files when `master.key` changed since they were last read. A file that
    /// cannot be read keeps the ring as it is (and is logged): the server keeps working.
    fn refresh_if_rotated(&self) {
        let Some(files) = &self.files else { return };
        let Ok(mut loaded) = files.loaded.lock() else {
            return;
        };
        let now = modified(&files.dir.join("master.key"));
        if now == *loaded {
            return;
        }
        match MasterKeys::reload_files(&files.dir) {
            Ok(keys) => {
                let ring = Arc::new(KeyRing::new(&keys));
                match self.ring.write() {
                    Ok(mut current) => *current = ring,
                    Err(poisoned) => *poisoned.into_inner() = ring,
                }
                *loaded = now;
                tracing::info!("the master key changed on disk: key ring reloaded");
            }
            Err(err) => tracing::error!(%err, "the master key changed on disk but cannot be read"),
        }
    }
}

fn modified(path: &std::path::Path) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.ino(), meta.modified().ok()?))
}

/// The fingerprint of a master key: the key id its blobs carry.
pub fn fingerprint(master_key: &crate::config::SecretBytes) -> u32 {
    KeySet::derive(master_key.expose()).id
}

/// The key fingerprint a blob names, if it is a well-formed blob of this format.
pub fn key_id(blob: &[u8]) -> Option<u32> {
    (blob.len() >= HEADER_LEN + 16 + TAG_LEN && blob[0] == VERSION)
        .then(|| u32::from_be_bytes([blob[1], blob[2], blob[3], blob[4]]))
}

fn mac(keys: &KeySet, authenticated: &[u8], ad: &[u8]) -> Result<Hmac<Sha256>, VaultError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(keys.mac.as_ref())
        .map_err(|_| VaultError::Opaque)?;
    mac.update(authenticated);
    mac.update(&(ad.len() as u64).to_be_bytes());
    mac.update(ad);
    Ok(mac)
}

/// Associated data naming a secret's owner and purpose: `user id ‖ 0 ‖ record id ‖ 0 ‖ field`.
pub fn associated_data(user_id: &str, record_id: &str, field: &str) -> Vec<u8> {
    [user_id.as_bytes(), record_id.as_bytes(), field.as_bytes()].join(&0u8)
}

#[cfg(test)]
mod tests {
    use cbc::cipher::block_padding::NoPadding;

    use super::*;
    use crate::config::SecretBytes;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn vault_with(byte: u8) -> Vault {
        Vault::with_key(&SecretBytes::new(vec![byte; 32]))
    }

    fn ring(active: u8, previous: &[u8]) -> Vault {
        Vault::new(&MasterKeys {
            active: SecretBytes::new(vec![active; 32]),
            previous: previous
                .iter()
                .map(|byte| SecretBytes::new(vec![*byte; 32]))
                .collect(),
            source: SecretSource::Env("test"),
        })
    }

    #[test]
    fn aes_256_cbc_matches_nist_sp_800_38a_f_2_5() {
        let key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let plain = hex(concat!(
            "6bc1bee22e409f96e93d7e117393172a",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "f69f2445df4f9b17ad2b417be66c3710"
        ));
        let expected = hex(concat!(
            "f58c4c04d6e5f1ba779eabfb5f7bfbd6",
            "9cfc4e967edb808d679f777bc6702c7d",
            "39f23369a9d9bacfa530e26304231461",
            "b2eb05e2c39be9fcda6c19078c6a9d1b"
        ));
        let cipher = cbc::Encryptor::<Aes256>::new_from_slices(&key, &iv).unwrap();
        assert_eq!(cipher.encrypt_padded_vec::<NoPadding>(&plain), expected);
        let decipher = cbc::Decryptor::<Aes256>::new_from_slices(&key, &iv).unwrap();
        assert_eq!(
            decipher.decrypt_padded_vec::<NoPadding>(&expected).unwrap(),
            plain
        );
        // With PKCS#7 a fifth block of padding follows.
        let padded = cbc::Encryptor::<Aes256>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(&plain);
        assert_eq!(
            &padded[64..],
            hex("3f461796d6b0d6b2e0c2a72b4d80e644").as_slice()
        );
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let expected = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(mac.finalize().into_bytes().as_slice(), expected.as_slice());
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_key_and_data_and_a_fresh_iv_each_time() {
        let vault = vault_with(1);
        let ad = associated_data("user-1", "user-1", "totp_seed");
        let first = vault.seal(b"JBSWY3DPEHPK3PXP", &ad).unwrap();
        let second = vault.seal(b"JBSWY3DPEHPK3PXP", &ad).unwrap();
        assert_ne!(first[5..21], second[5..21], "IV reused");
        assert_eq!(
            vault.open(&first, &ad).unwrap().as_slice(),
            b"JBSWY3DPEHPK3PXP"
        );
        assert!(!first.windows(16).any(|w| w == b"JBSWY3DPEHPK3PXP"));
    }

    #[test]
    fn any_flipped_bit_or_foreign_owner_is_refused_alike() {
        let vault = vault_with(1);
        let ad = associated_data("user-1", "user-1", "totp_seed");
        let blob = vault.seal(b"secret seed", &ad).unwrap();
        for byte in [0, 3, 8, HEADER_LEN + 2, blob.len() - 1] {
            let mut tampered = blob.clone();
            tampered[byte] ^= 0x01;
            assert_eq!(
                vault.open(&tampered, &ad),
                Err(VaultError::Opaque),
                "byte {byte}"
            );
        }
        let other_user = associated_data("user-2", "user-2", "totp_seed");
        assert_eq!(vault.open(&blob, &other_user), Err(VaultError::Opaque));
        let other_key = vault_with(2);
        assert_eq!(other_key.open(&blob, &ad), Err(VaultError::Opaque));
        assert_eq!(vault.open(&blob[..20], &ad), Err(VaultError::Opaque));
    }

    #[test]
    fn a_record_sealed_under_an_old_key_opens_after_the_ring_moves_on_and_reseals_to_the_new() {
        let ad = associated_data("user-1", "conn-1", "api_secret");
        let old = ring(1, &[]).seal(b"old secret", &ad).unwrap();
        let rotated = ring(2, &[1]);
        assert!(rotated.needs_reseal(&old));
        assert_eq!(rotated.open(&old, &ad).unwrap().as_slice(), b"old secret");
        let resealed = rotated.reseal(&old, &ad).unwrap();
        assert!(!rotated.needs_reseal(&resealed));
        // Once the old key is dropped, only the resealed record still opens.
        let only_new = ring(2, &[]);
        assert_eq!(only_new.open(&old, &ad), Err(VaultError::Opaque));
        assert_eq!(
            only_new.open(&resealed, &ad).unwrap().as_slice(),
            b"old secret"
        );
    }

    #[test]
    fn a_server_on_key_files_picks_up_a_rotation_made_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MasterKeys::load(dir.path(), &|_: &str| None).unwrap();
        let vault = Vault::new(&keys);
        let ad = associated_data("u", "c", "f");
        let before = vault.seal(b"value", &ad).unwrap();
        crate::config::secrets::rotate_master_key_file(dir.path()).unwrap();
        // Another process (the rotation command) seals under the new key.
        let other = Vault::new(&MasterKeys::reload_files(dir.path()).unwrap());
        let after = other.seal(b"value", &ad).unwrap();
        assert_eq!(vault.open(&after, &ad).unwrap().as_slice(), b"value");
        assert_eq!(vault.open(&before, &ad).unwrap().as_slice(), b"value");
        assert!(vault.needs_reseal(&before));
        assert!(!vault.needs_reseal(&vault.seal(b"value", &ad).unwrap()));
    }
}
