//! TLS: certificates made with rcgen, clients on rustls over a std
//! TcpStream (and redis-cli --tls where this redis-cli has it).

use crate::harness::{free_port, Moon};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A CA, a server certificate for localhost/127.0.0.1 and a client
/// certificate, all written as PEM files into a fresh directory.
struct Pki {
    dir: PathBuf,
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn new_ca(name: &str) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Ca { cert, key }
}

fn leaf(ca: &Ca, cn: &str, sans: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
    let mut p = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    fn new() -> Pki {
        let dir = std::env::temp_dir().join(format!("moon-tls-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = new_ca("Moon test CA");
        let (sc, sk) = leaf(&ca, "localhost", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth);
        let (cc, ck) = leaf(&ca, "client", &[], ExtendedKeyUsagePurpose::ClientAuth);
        // A client certificate from a CA the server does not trust.
        let other = new_ca("Other CA");
        let (oc, ok) = leaf(&other, "intruder", &[], ExtendedKeyUsagePurpose::ClientAuth);
        let (osc, osk) = leaf(&other, "localhost", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth);
        for (name, text) in [
            ("ca.pem", ca.cert.pem()),
            ("server.pem", sc),
            ("server.key", sk),
            ("client.pem", cc),
            ("client.key", ck),
            ("other-ca.pem", other.cert.pem()),
            ("other-client.pem", oc),
            ("other-client.key", ok),
            ("other-server.pem", osc),
            ("other-server.key", osk),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// moon flags serving TLS on `tls_port` with this PKI.
    fn flags(&self, tls_port: u16, auth: &str) -> Vec<String> {
        let mut v: Vec<String> = ["--tls-port", &tls_port.to_string(), "--tls-auth-clients", auth].iter().map(|s| s.to_string()).collect();
        for (k, f) in [("--tls-cert-file", "server.pem"), ("--tls-key-file", "server.key"), ("--tls-ca-cert-file", "ca.pem")] {
            v.push(k.into());
            v.push(self.path(f));
        }
        v
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(pki: &Pki, auth: &str, extra: &[&str]) -> (Moon, u16) {
    let tls_port = free_port();
    let mut flags = pki.flags(tls_port, auth);
    flags.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
    (Moon::start(&refs), tls_port)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

struct ClientOpts<'a> {
    ca: &'a str,
    cert: Option<(&'a str, &'a str)>,
    versions: &'a [&'static rustls::SupportedProtocolVersion],
}

fn client_config(o: &ClientOpts) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(o.ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let b =
        rustls::ClientConfig::builder_with_provider(provider()).with_protocol_versions(o.versions).unwrap().with_root_certificates(roots);
    let cfg = match o.cert {
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert).unwrap().map(|c| c.unwrap()).collect();
            b.with_client_auth_cert(certs, PrivateKeyDer::from_pem_file(key).unwrap()).unwrap()
        }
        None => b.with_no_client_auth(),
    };
    Arc::new(cfg)
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

fn connect(port: u16, o: &ClientOpts) -> Tls {
    connect_with(port, client_config(o))
}

fn connect_with(port: u16, cfg: Arc<rustls::ClientConfig>) -> Tls {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let conn = rustls::ClientConnection::new(cfg, ServerName::try_from("localhost").unwrap()).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

/// Send `req` and read until `want` bytes arrived; Err if the handshake
/// or the connection fails first.
fn roundtrip(s: &mut Tls, req: &[u8], want: usize) -> std::io::Result<Vec<u8>> {
    s.write_all(req)?;
    s.flush()?;
    let mut got = Vec::new();
    let mut buf = [0u8; 16384];
    while got.len() < want {
        match s.read(&mut buf)? {
            0 => return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed")),
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    Ok(got)
}

fn ping(port: u16, o: &ClientOpts) -> std::io::Result<Vec<u8>> {
    roundtrip(&mut connect(port, o), b"PING\r\n", 7)
}

const BOTH: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

#[test]
fn tls_and_plaintext_ports_serve_at_once() {
    let pki = Pki::new();
    let (m, tls_port) = start(&pki, "no", &[]);
    let ca = pki.path("ca.pem");
    let o = ClientOpts { ca: &ca, cert: None, versions: BOTH };
    assert_eq!(ping(tls_port, &o).unwrap(), b"+PONG\r\n");
    // The plaintext port sees what was written over TLS.
    let mut s = connect(tls_port, &o);
    assert_eq!(roundtrip(&mut s, b"SET k v\r\n", 5).unwrap(), b"+OK\r\n");
    let mut c = m.client();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
    // A large reply and a deep pipeline go through TLS records intact.
    let big = "x".repeat(1 << 20);
    redis::cmd("SET").arg("big").arg(&big).query::<()>(&mut c).unwrap();
    let want = format!("${}\r\n{big}\r\n", big.len());
    assert_eq!(roundtrip(&mut s, b"GET big\r\n", want.len()).unwrap(), want.as_bytes());
    let pipeline = b"INCR n\r\n".repeat(10_000);
    let got = roundtrip(&mut s, &pipeline, b":10000\r\n".len() + (1..10_000).map(|i| format!(":{i}\r\n").len()).sum::<usize>()).unwrap();
    assert!(got.ends_with(b":10000\r\n"));
    // Plain text on the TLS port is no handshake: the connection just closes.
    let mut raw = TcpStream::connect(("127.0.0.1", tls_port)).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw.write_all(b"PING\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = raw.read_to_end(&mut buf);
    assert!(!buf.starts_with(b"+PONG"));
    assert_eq!(ping(tls_port, &o).unwrap(), b"+PONG\r\n", "server still serves after a bad handshake");
}

#[test]
fn mtls_requires_a_certificate_from_the_trusted_ca() {
    let pki = Pki::new();
    let (_m, tls_port) = start(&pki, "yes", &[]);
    let ca = pki.path("ca.pem");
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let (ocert, okey) = (pki.path("other-client.pem"), pki.path("other-client.key"));
    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
        let good = ClientOpts { ca: &ca, cert: Some((&cert, &key)), versions };
        assert_eq!(ping(tls_port, &good).unwrap(), b"+PONG\r\n");
        let none = ClientOpts { ca: &ca, cert: None, versions };
        assert!(ping(tls_port, &none).is_err(), "a client without a certificate must be refused");
        let wrong = ClientOpts { ca: &ca, cert: Some((&ocert, &okey)), versions };
        assert!(ping(tls_port, &wrong).is_err(), "a certificate from an untrusted CA must be refused");
    }
}

#[test]
fn optional_client_auth_accepts_both_but_not_a_bad_certificate() {
    let pki = Pki::new();
    let (_m, tls_port) = start(&pki, "optional", &[]);
    let ca = pki.path("ca.pem");
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    let (ocert, okey) = (pki.path("other-client.pem"), pki.path("other-client.key"));
    assert_eq!(ping(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH }).unwrap(), b"+PONG\r\n");
    assert_eq!(ping(tls_port, &ClientOpts { ca: &ca, cert: Some((&cert, &key)), versions: BOTH }).unwrap(), b"+PONG\r\n");
    assert!(ping(tls_port, &ClientOpts { ca: &ca, cert: Some((&ocert, &okey)), versions: BOTH }).is_err());
}

#[test]
fn protocols_and_ciphers_are_honoured() {
    let pki = Pki::new();
    let (_m, tls_port) = start(
        &pki,
        "no",
        &["--tls-protocols", "TLSv1.2", "--tls-ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256", "--tls-prefer-server-ciphers", "yes"],
    );
    let ca = pki.path("ca.pem");
    let mut s = connect(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH });
    assert_eq!(roundtrip(&mut s, b"PING\r\n", 7).unwrap(), b"+PONG\r\n");
    assert_eq!(s.conn.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    assert_eq!(s.conn.negotiated_cipher_suite().unwrap().suite(), rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    assert!(ping(tls_port, &ClientOpts { ca: &ca, cert: None, versions: &[&rustls::version::TLS13] }).is_err());

    let (_m3, tls3) = start(&pki, "no", &["--tls-protocols", "TLSv1.3", "--tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]);
    let mut s = connect(tls3, &ClientOpts { ca: &ca, cert: None, versions: BOTH });
    assert_eq!(roundtrip(&mut s, b"PING\r\n", 7).unwrap(), b"+PONG\r\n");
    assert_eq!(s.conn.negotiated_cipher_suite().unwrap().suite(), rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
    assert!(ping(tls3, &ClientOpts { ca: &ca, cert: None, versions: &[&rustls::version::TLS12] }).is_err());
}

#[test]
fn config_set_reloads_certificates_and_rejects_bad_ones() {
    let pki = Pki::new();
    let (m, tls_port) = start(&pki, "no", &[]);
    let (ca, other_ca) = (pki.path("ca.pem"), pki.path("other-ca.pem"));
    let mut c = m.client();
    let err = redis::cmd("CONFIG").arg("SET").arg("tls-cert-file").arg(pki.path("missing.pem")).query::<()>(&mut c).unwrap_err();
    assert_eq!(
        err.to_string(),
        "An error was signalled by the server - ResponseError: CONFIG SET failed (possibly related to argument 'tls-cert-file') - \
         Unable to update TLS configuration. Check server logs."
    );
    let kept: Vec<String> = redis::cmd("CONFIG").arg("GET").arg("tls-cert-file").query(&mut c).unwrap();
    assert_eq!(kept[1], pki.path("server.pem"));
    // A certificate without its key fails (they don't match) and changes nothing.
    let err = redis::cmd("CONFIG").arg("SET").arg("tls-cert-file").arg(pki.path("other-server.pem")).query::<()>(&mut c).unwrap_err();
    assert!(err.to_string().contains("Unable to update TLS configuration"), "{err}");
    assert_eq!(ping(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH }).unwrap(), b"+PONG\r\n");
    // Both together: new connections get the new certificate.
    let mut old = connect(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH });
    assert_eq!(roundtrip(&mut old, b"PING\r\n", 7).unwrap(), b"+PONG\r\n");
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("tls-cert-file")
        .arg(pki.path("other-server.pem"))
        .arg("tls-key-file")
        .arg(pki.path("other-server.key"))
        .query::<()>(&mut c)
        .unwrap();
    assert_eq!(ping(tls_port, &ClientOpts { ca: &other_ca, cert: None, versions: BOTH }).unwrap(), b"+PONG\r\n");
    assert!(ping(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH }).is_err());
    assert_eq!(roundtrip(&mut old, b"PING\r\n", 7).unwrap(), b"+PONG\r\n", "an established session is kept");
    // tls-auth-clients takes effect for new connections too.
    redis::cmd("CONFIG").arg("SET").arg("tls-auth-clients").arg("yes").query::<()>(&mut c).unwrap();
    assert!(ping(tls_port, &ClientOpts { ca: &other_ca, cert: None, versions: BOTH }).is_err());
    let err = redis::cmd("CONFIG").arg("SET").arg("tls-port").arg("1").query::<()>(&mut c).unwrap_err();
    assert!(err.to_string().contains("can't set immutable config"), "{err}");
}

/// Whether a second connection with the same client config (and so its
/// session cache) resumes the first one's session.
fn resumes(port: u16, o: &ClientOpts) -> bool {
    let cfg = client_config(o);
    let mut first = connect_with(port, cfg.clone());
    // Reading the reply also takes in the TLS 1.3 tickets sent before it.
    assert_eq!(roundtrip(&mut first, b"PING\r\n", 7).unwrap(), b"+PONG\r\n");
    let mut second = connect_with(port, cfg);
    assert_eq!(roundtrip(&mut second, b"PING\r\n", 7).unwrap(), b"+PONG\r\n");
    second.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
}

#[test]
fn session_caching_allows_resumption() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    let (_m, on) = start(&pki, "no", &[]);
    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
        assert!(resumes(on, &ClientOpts { ca: &ca, cert: None, versions }));
    }
    let (_m2, off) = start(&pki, "no", &["--tls-session-caching", "no"]);
    let (_m3, expired) = start(&pki, "no", &["--tls-session-cache-timeout", "0"]);
    for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
        assert!(!resumes(off, &ClientOpts { ca: &ca, cert: None, versions }));
        assert!(!resumes(expired, &ClientOpts { ca: &ca, cert: None, versions }));
    }
}

/// Run moon expecting it to exit; its status code and output.
fn run_to_exit(args: &[String]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_moon")).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("moon kept running with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
}

#[test]
fn invalid_tls_setup_exits_nonzero_with_the_reason() {
    let pki = Pki::new();
    let base = |auth: &str| -> Vec<String> {
        let mut v: Vec<String> = vec!["--port".into(), "0".into(), "--bind".into(), "127.0.0.1".into()];
        v.extend(pki.flags(free_port(), auth));
        v
    };
    let with = |auth: &str, extra: &[&str]| {
        let mut v = base(auth);
        v.extend(extra.iter().map(|s| s.to_string()));
        run_to_exit(&v)
    };
    let key_mismatch = with("no", &["--tls-key-file", &pki.path("other-server.key")]);
    assert_eq!(key_mismatch.0, 1);
    assert!(key_mismatch.1.contains("Failed to load private key") && key_mismatch.1.contains("does not match"), "{}", key_mismatch.1);
    let missing = with("no", &["--tls-cert-file", &pki.path("nope.pem")]);
    assert_eq!(missing.0, 1);
    assert!(missing.1.contains("Failed to load certificate") && missing.1.contains("Failed to configure TLS"), "{}", missing.1);
    std::fs::write(pki.dir.join("junk.key"), "not a key\n").unwrap();
    let junk = with("no", &["--tls-key-file", &pki.path("junk.key")]);
    assert_eq!(junk.0, 1);
    assert!(junk.1.contains("no PEM private key"), "{}", junk.1);
    let no_ca = with("yes", &["--tls-ca-cert-file", ""]);
    assert_eq!(no_ca.0, 1);
    assert!(no_ca.1.contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified"), "{}", no_ca.1);
    let proto = with("no", &["--tls-protocols", "TLSv1.1"]);
    assert_eq!(proto.0, 1);
    assert!(proto.1.contains("TLSv1.1 is not supported"), "{}", proto.1);
    let pass = with("no", &["--tls-key-file-pass", "secret"]);
    assert_eq!(pass.0, 1);
    assert!(pass.1.contains("encrypted private keys are not supported"), "{}", pass.1);
}

#[test]
fn ca_cert_dir_is_read() {
    let pki = Pki::new();
    let cadir = pki.dir.join("cas");
    std::fs::create_dir_all(&cadir).unwrap();
    std::fs::copy(pki.dir.join("ca.pem"), cadir.join("a1b2c3d4.0")).unwrap();
    std::fs::write(cadir.join("README"), "not a certificate\n").unwrap();
    let tls_port = free_port();
    let flags = [
        "--tls-port".to_string(),
        tls_port.to_string(),
        "--tls-cert-file".into(),
        pki.path("server.pem"),
        "--tls-key-file".into(),
        pki.path("server.key"),
        "--tls-ca-cert-dir".into(),
        cadir.to_string_lossy().into_owned(),
    ];
    let refs: Vec<&str> = flags.iter().map(|s| s.as_str()).collect();
    let _m = Moon::start(&refs);
    let ca = pki.path("ca.pem");
    let (cert, key) = (pki.path("client.pem"), pki.path("client.key"));
    assert_eq!(ping(tls_port, &ClientOpts { ca: &ca, cert: Some((&cert, &key)), versions: BOTH }).unwrap(), b"+PONG\r\n");
    assert!(ping(tls_port, &ClientOpts { ca: &ca, cert: None, versions: BOTH }).is_err());
}

fn redis_cli_has_tls() -> bool {
    Command::new("redis-cli").arg("--help").output().map(|o| String::from_utf8_lossy(&o.stdout).contains("--tls")).unwrap_or(false)
}

#[test]
fn redis_cli_tls_connects() {
    if !redis_cli_has_tls() {
        eprintln!("skipped: this redis-cli has no --tls");
        return;
    }
    let pki = Pki::new();
    let (_m, tls_port) = start(&pki, "yes", &[]);
    let cli = |with_cert: bool| {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["--tls", "--cacert", &pki.path("ca.pem"), "-p", &tls_port.to_string()]);
        if with_cert {
            cmd.args(["--cert", &pki.path("client.pem"), "--key", &pki.path("client.key")]);
        }
        let o = cmd.args(["ping"]).stdin(Stdio::null()).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
    };
    assert_eq!(cli(true).trim(), "PONG");
    assert_ne!(cli(false).trim(), "PONG");
}
