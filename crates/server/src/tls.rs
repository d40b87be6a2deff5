//! TLS for client connections on rustls with the ring provider (no OpenSSL,
//! nothing that needs cmake). The tls-* parameters become a rustls
//! ServerConfig the way Redis turns them into an SSL_CTX; CONFIG SET of a
//! tls-* parameter builds a new one, which later connections use while
//! established ones keep theirs.

use moon_commands::Config;
use parking_lot::{Mutex, RwLock};
use rustls::crypto::{ring as ring_provider, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{NoServerSessionStorage, StoresServerSessions, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What Redis logs (after the detailed reason) when the context can't be built.
pub const STARTUP_FAILED: &str = "Failed to configure TLS. Check logs for more info.";
const RELOAD_FAILED: &str = "Unable to update TLS configuration. Check server logs.";

/// The current server context, swapped on reconfiguration.
pub struct TlsContext {
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsContext {
    /// Build the context from the configuration; the error says what is wrong.
    pub fn new(cfg: &Config) -> Result<Arc<TlsContext>, String> {
        Ok(Arc::new(TlsContext { current: RwLock::new(build(cfg)?) }))
    }

    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.read().clone()
    }

    /// Rebuild after CONFIG SET; on error the old context stays.
    pub fn reload(&self, cfg: &Config) -> Result<(), String> {
        match build(cfg) {
            Ok(c) => {
                *self.current.write() = c;
                Ok(())
            }
            Err(e) => {
                moon_commands::warning!("{e}");
                Err(RELOAD_FAILED.to_string())
            }
        }
    }
}

/// Whether this configuration serves TLS at all (Redis also builds the
/// context for tls-replication / tls-cluster, which Moon does not have).
pub fn enabled(cfg: &Config) -> bool {
    cfg.get_i64("tls-port") != 0
}

/// How long a client may take to complete the handshake before the
/// connection is dropped, so half-open handshakes can't pile up.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub fn build(cfg: &Config) -> Result<Arc<ServerConfig>, String> {
    let cert_file = cfg.get_str("tls-cert-file");
    let key_file = cfg.get_str("tls-key-file");
    if cert_file.is_empty() {
        return Err("No tls-cert-file configured!".into());
    }
    if key_file.is_empty() {
        return Err("No tls-key-file configured!".into());
    }
    let auth = cfg.get_str("tls-auth-clients");
    let ca_file = cfg.get_str("tls-ca-cert-file");
    let ca_dir = cfg.get_str("tls-ca-cert-dir");
    if auth != "no" && ca_file.is_empty() && ca_dir.is_empty() {
        return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"
            .into());
    }
    let versions = parse_protocols(&cfg.get_str("tls-protocols"))?;
    let tls13 = parse_ciphersuites(&cfg.get_str("tls-ciphersuites"))?;
    let tls12 = parse_ciphers(&cfg.get_str("tls-ciphers"))?;
    let has = |v: &SupportedProtocolVersion| versions.iter().any(|x| x.version == v.version);
    let mut suites = Vec::new();
    if has(&rustls::version::TLS13) {
        suites.extend(tls13);
    }
    if has(&rustls::version::TLS12) {
        suites.extend(tls12);
    }
    let provider = Arc::new(CryptoProvider { cipher_suites: suites, ..ring_provider::default_provider() });

    let certs = load_certs(&cert_file).map_err(|e| format!("Failed to load certificate: {cert_file}: {e}"))?;
    let key = load_key(&key_file).map_err(|e| format!("Failed to load private key: {key_file}: {e}"))?;

    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS protocols: {e}"))?;
    let builder = if auth == "no" {
        builder.with_no_client_auth()
    } else {
        let roots = load_roots(&ca_file, &ca_dir)?;
        let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
        let v = if auth == "optional" { v.allow_unauthenticated() } else { v };
        builder.with_client_cert_verifier(v.build().map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?)
    };
    let mut sc = builder.with_single_cert(certs, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            format!("Failed to load private key: {key_file}: it does not match the certificate in {cert_file}")
        }
        e => format!("Failed to load private key: {key_file}: {e}"),
    })?;
    sc.ignore_client_order = cfg.get_bool("tls-prefer-server-ciphers");
    if cfg.get_bool("tls-session-caching") {
        let size = cfg.get_i64("tls-session-cache-size").max(0) as usize;
        let ttl = Duration::from_secs(cfg.get_i64("tls-session-cache-timeout").max(0) as u64);
        sc.session_storage = Arc::new(SessionCache::new(size, ttl));
    } else {
        sc.session_storage = Arc::new(NoServerSessionStorage {});
        sc.send_tls13_tickets = 0;
    }
    Ok(Arc::new(sc))
}

/// Redis' tls-protocols: space-separated, case-insensitive; empty means
/// TLSv1.2 and TLSv1.3 (Redis' default set too).
fn parse_protocols(s: &str) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    if s.trim().is_empty() {
        return Ok(vec![&rustls::version::TLS13, &rustls::version::TLS12]);
    }
    let mut v: Vec<&'static SupportedProtocolVersion> = Vec::new();
    for w in s.split_whitespace() {
        let p = match w.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            "tlsv1" | "tlsv1.1" => {
                return Err(format!("tls-protocols: {w} is not supported: Moon's TLS (rustls) implements only TLSv1.2 and TLSv1.3"))
            }
            _ => return Err("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.".into()),
        };
        if !v.iter().any(|x| x.version == p.version) {
            v.push(p);
        }
    }
    Ok(v)
}

use rustls::crypto::ring::cipher_suite as cs;

/// TLSv1.3 suites by their standard names (OpenSSL uses the same ones).
static TLS13_SUITES: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_256_GCM_SHA384", cs::TLS13_AES_256_GCM_SHA384),
    ("TLS_CHACHA20_POLY1305_SHA256", cs::TLS13_CHACHA20_POLY1305_SHA256),
    ("TLS_AES_128_GCM_SHA256", cs::TLS13_AES_128_GCM_SHA256),
];

/// TLSv1.2 ciphers rustls implements: (OpenSSL name, IANA name, suite), in
/// OpenSSL's default preference order.
static TLS12_SUITES: &[(&str, &str, SupportedCipherSuite)] = &[
    ("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
];

/// OpenSSL cipher classes that name nothing rustls offers, so excluding
/// them ("!aNULL:!MD5", common in hardened configs) changes nothing.
const NEVER_OFFERED: &[&str] = &[
    "anull", "enull", "null", "md5", "rc4", "des", "3des", "export", "exp", "low", "medium", "psk", "srp", "dss", "camellia", "seed",
    "idea", "aria", "ccm", "ccm8", "sha1", "sha", "dh", "dhe", "edh", "kdhe", "kedh", "adh", "aecdh", "krsa", "cbc",
];

fn parse_ciphersuites(s: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    if s.is_empty() {
        return Ok(TLS13_SUITES.iter().map(|(_, c)| *c).collect());
    }
    let mut v = Vec::new();
    for name in s.split(':').filter(|w| !w.is_empty()) {
        let Some((_, c)) = TLS13_SUITES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
            let known: Vec<&str> = TLS13_SUITES.iter().map(|(n, _)| *n).collect();
            return Err(format!("Failed to configure ciphersuites: {s}: '{name}' is not supported (supported: {})", known.join(", ")));
        };
        if !v.iter().any(|x: &SupportedCipherSuite| x.suite() == c.suite()) {
            v.push(*c);
        }
    }
    if v.is_empty() {
        return Err(format!("Failed to configure ciphersuites: {s}"));
    }
    Ok(v)
}

/// A subset of OpenSSL's cipher list syntax: names separated by ':', ','
/// or spaces (OpenSSL or IANA spelling), the DEFAULT / HIGH / ALL / ECDHE
/// / AESGCM / CHACHA20 groups, and '!' or '-' exclusions of those. Any
/// other word is an error rather than something silently not honoured.
fn parse_ciphers(s: &str) -> Result<Vec<SupportedCipherSuite>, String> {
    let all = || TLS12_SUITES.iter().map(|(_, _, c)| *c);
    if s.is_empty() {
        return Ok(all().collect());
    }
    let group = |w: &str| -> Option<Vec<SupportedCipherSuite>> {
        let l = w.to_ascii_lowercase();
        let pick = |f: &dyn Fn(&str) -> bool| TLS12_SUITES.iter().filter(|(o, _, _)| f(o)).map(|(_, _, c)| *c).collect();
        Some(match l.as_str() {
            "default" | "high" | "all" | "ecdhe" | "eecdh" | "kecdhe" | "aead" => pick(&|_| true),
            "aesgcm" | "aes" => pick(&|o| o.contains("-GCM-")),
            "aes128" => pick(&|o| o.contains("AES128")),
            "aes256" => pick(&|o| o.contains("AES256")),
            "chacha20" => pick(&|o| o.contains("CHACHA20")),
            "aecdsa" | "ecdsa" => pick(&|o| o.contains("-ECDSA-")),
            "arsa" => pick(&|o| o.contains("-RSA-")),
            _ => TLS12_SUITES.iter().find(|(o, i, _)| o.eq_ignore_ascii_case(w) || i.eq_ignore_ascii_case(w)).map(|(_, _, c)| vec![*c])?,
        })
    };
    let mut v: Vec<SupportedCipherSuite> = Vec::new();
    let mut removed: Vec<SupportedCipherSuite> = Vec::new();
    for w in s.split([':', ',', ' ']).filter(|w| !w.is_empty()) {
        // "@STRENGTH" and similar sort directives don't change the set.
        if w.starts_with('@') {
            continue;
        }
        let (exclude, name) = match w.strip_prefix(['!', '-']) {
            Some(n) => (true, n),
            None => (false, w.strip_prefix('+').unwrap_or(w)),
        };
        match group(name) {
            Some(cs) if exclude => {
                v.retain(|x| !cs.iter().any(|c| c.suite() == x.suite()));
                removed.extend(cs);
            }
            Some(cs) => {
                for c in cs {
                    if !v.iter().chain(&removed).any(|x| x.suite() == c.suite()) {
                        v.push(c);
                    }
                }
            }
            None if exclude && NEVER_OFFERED.contains(&name.to_ascii_lowercase().as_str()) => {}
            None => {
                let known: Vec<&str> = TLS12_SUITES.iter().map(|(o, _, _)| *o).collect();
                return Err(format!("Failed to configure ciphers: {s}: '{w}' is not supported (supported: {})", known.join(", ")));
            }
        }
    }
    if v.is_empty() {
        return Err(format!("Failed to configure ciphers: {s}: no cipher left"));
    }
    Ok(v)
}

fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs =
        CertificateDer::pem_file_iter(path).map_err(|e| e.to_string())?.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate in the file".into());
    }
    Ok(certs)
}

fn load_key(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    if has(b"ENCRYPTED PRIVATE KEY") || has(b"Proc-Type: 4,ENCRYPTED") {
        return Err("the key is encrypted, which Moon does not support: store it unencrypted (openssl pkey -in KEY -out PLAIN)".into());
    }
    PrivateKeyDer::from_pem_slice(&text).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => "no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) in the file".into(),
        e => e.to_string(),
    })
}

/// CA certificates from tls-ca-cert-file and every PEM file of
/// tls-ca-cert-dir (OpenSSL looks files up there by hashed name; reading
/// them all accepts the same directories).
fn load_roots(file: &str, dir: &str) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut add = |path: &str, certs: Vec<CertificateDer<'static>>| -> Result<(), String> {
        for c in certs {
            roots.add(c).map_err(|e| format!("Failed to configure CA certificate(s) file/directory: {path}: {e}"))?;
        }
        Ok(())
    };
    if !file.is_empty() {
        let certs = load_certs(file).map_err(|e| format!("Failed to configure CA certificate(s) file/directory: {file}: {e}"))?;
        add(file, certs)?;
    }
    if !dir.is_empty() {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("Failed to configure CA certificate(s) file/directory: {dir}: {e}"))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() {
                let ps = p.to_string_lossy().into_owned();
                // Files that hold no certificate (CRLs, keys, notes) are skipped.
                if let Ok(certs) = load_certs(&ps) {
                    add(&ps, certs)?;
                }
            }
        }
    }
    if roots.is_empty() {
        return Err("Failed to configure CA certificate(s) file/directory: no CA certificate found".into());
    }
    Ok(roots)
}

/// Server-side session cache for resumption (TLS 1.2 session ids and
/// TLS 1.3 stateful tickets) with tls-session-cache-size entries (0: no
/// limit, as OpenSSL) that expire after tls-session-cache-timeout seconds.
#[derive(Debug)]
struct SessionCache {
    max: usize,
    ttl: Duration,
    inner: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    map: HashMap<Vec<u8>, (Vec<u8>, Instant)>,
    /// Keys in insertion order, to expire and evict the oldest first.
    /// Entries whose key was since taken or replaced are skipped.
    order: VecDeque<(Vec<u8>, Instant)>,
}

impl SessionCache {
    fn new(size: usize, ttl: Duration) -> SessionCache {
        SessionCache { max: if size == 0 { usize::MAX / 4 } else { size }, ttl, inner: Mutex::new(Sessions::default()) }
    }
}

impl StoresServerSessions for SessionCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let now = Instant::now();
        let mut s = self.inner.lock();
        while let Some((_, at)) = s.order.front() {
            let expired = now.duration_since(*at) >= self.ttl;
            if !(expired || s.map.len() >= self.max || s.order.len() >= self.max.saturating_mul(2)) {
                break;
            }
            let Some((k, at)) = s.order.pop_front() else { break };
            if s.map.get(&k).is_some_and(|(_, t)| *t == at) {
                s.map.remove(&k);
            }
        }
        s.order.push_back((key.clone(), now));
        s.map.insert(key, (value, now));
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let s = self.inner.lock();
        let (v, at) = s.map.get(key)?;
        (at.elapsed() < self.ttl).then(|| v.clone())
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let (v, at) = self.inner.lock().map.remove(key)?;
        (at.elapsed() < self.ttl).then_some(v)
    }

    fn can_cache(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[SupportedCipherSuite]) -> Vec<String> {
        v.iter().map(|c| format!("{:?}", c.suite())).collect()
    }

    #[test]
    fn protocols() {
        assert_eq!(parse_protocols("").unwrap().len(), 2);
        let v = parse_protocols("tlsv1.3").unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].version, rustls::ProtocolVersion::TLSv1_3);
        assert_eq!(parse_protocols("TLSv1.2 TLSv1.3 TLSv1.2").unwrap().len(), 2);
        assert!(parse_protocols("TLSv1.4").unwrap_err().starts_with("Invalid tls-protocols specified"));
        assert!(parse_protocols("TLSv1.1 TLSv1.2").unwrap_err().contains("not supported"));
    }

    #[test]
    fn ciphers() {
        assert_eq!(parse_ciphers("").unwrap().len(), 6);
        let v = parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384").unwrap();
        assert_eq!(names(&v), ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]);
        assert_eq!(parse_ciphers("HIGH:!aNULL:!MD5").unwrap().len(), 6);
        assert_eq!(parse_ciphers("DEFAULT:!CHACHA20").unwrap().len(), 4);
        assert_eq!(parse_ciphers("!AES128:DEFAULT").unwrap().len(), 4);
        assert!(parse_ciphers("FOO").unwrap_err().starts_with("Failed to configure ciphers: FOO"));
        assert!(parse_ciphers("DHE-RSA-AES128-SHA").is_err());
        assert!(parse_ciphers("ECDHE-RSA-AES128-GCM-SHA256:!ECDHE").unwrap_err().contains("no cipher left"));
        assert_eq!(parse_ciphersuites("").unwrap().len(), 3);
        assert_eq!(names(&parse_ciphersuites("TLS_CHACHA20_POLY1305_SHA256").unwrap()), ["TLS13_CHACHA20_POLY1305_SHA256"]);
        assert!(parse_ciphersuites("TLS_AES_128_CCM_SHA256").is_err());
    }

    #[test]
    fn session_cache_expires_and_evicts() {
        let c = SessionCache::new(2, Duration::from_secs(60));
        c.put(b"a".to_vec(), b"1".to_vec());
        c.put(b"b".to_vec(), b"2".to_vec());
        c.put(b"c".to_vec(), b"3".to_vec());
        assert_eq!(c.get(b"a"), None);
        assert_eq!(c.get(b"b"), Some(b"2".to_vec()));
        assert_eq!(c.take(b"c"), Some(b"3".to_vec()));
        assert_eq!(c.take(b"c"), None);
        for i in 0..100u32 {
            c.put(i.to_be_bytes().to_vec(), vec![0]);
            let _ = c.take(&i.to_be_bytes());
        }
        assert!(c.inner.lock().order.len() <= 4);
        let z = SessionCache::new(10, Duration::ZERO);
        z.put(b"a".to_vec(), b"1".to_vec());
        assert_eq!(z.get(b"a"), None);
    }
}
