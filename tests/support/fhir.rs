//! A real FHIR R4 server for tests (Medplum's engine under node, tests/fhir-server) and a
//! fault-injecting HTTP proxy to put between Hikae and it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub fn server_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir-server")
}

/// The Medplum-based FHIR server, stopped on drop.
pub struct FhirServer {
    child: Child,
    pub addr: SocketAddr,
}

impl FhirServer {
    pub fn start() -> FhirServer {
        let dir = server_dir();
        assert!(
            dir.join("node_modules/@medplum/fhir-router").is_dir(),
            "the test FHIR server is not installed: run `npm ci` in {} (scripts/test.sh does)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("--experimental-websocket")
            .arg("server.mjs")
            .args(["--port", "0", "--exit-on-stdin-close"])
            .args(["--reject-patient-prefix", "UNKNOWN-"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let out = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .expect("server prints its port");
        let port: u16 = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the FHIR server: {line:?}"));
        FhirServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn get(&self, path: &str) -> Value {
        let mut resp = ureq::get(format!("{}{path}", self.base()))
            .call()
            .expect("FHIR server answers");
        let text = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("body");
        serde_json::from_str(&text).expect("json")
    }

    /// How many resources of `ty` the server holds.
    pub fn count(&self, ty: &str) -> usize {
        self.get("/_stats")["counts"][ty].as_u64().unwrap_or(0) as usize
    }

    /// The id and identifier of every resource of `ty` the server holds (small at any volume).
    pub fn identifiers(&self, ty: &str) -> Vec<Value> {
        self.get(&format!("/_identifiers/{ty}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every resource of `ty` the server holds.
    pub fn all(&self, ty: &str) -> Vec<Value> {
        self.get(&format!("/_dump/{ty}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for FhirServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Close the connection without forwarding (the server never sees it).
    Drop,
    /// Wait, then forward.
    Delay(Duration),
    /// Answer with this status (and `Retry-After: 1` for 429/503) without forwarding.
    Status(u16),
    /// Forward, let the server commit, then reset the connection instead of answering.
    ResetAfterCommit,
}

/// Fault rates in percent, drawn with a seeded generator (runs are repeatable).
#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub drop: u32,
    pub delay: u32,
    pub delay_for: Duration,
    pub status_500: u32,
    pub status_503: u32,
    pub reset_after_commit: u32,
}

impl Plan {
    pub fn none() -> Plan {
        Plan {
            seed: 1,
            drop: 0,
            delay: 0,
            delay_for: Duration::ZERO,
            status_500: 0,
            status_503: 0,
            reset_after_commit: 0,
        }
    }
    /// Every fault the issue names, often.
    pub fn hostile(seed: u64) -> Plan {
        Plan {
            seed,
            drop: 10,
            delay: 10,
            delay_for: Duration::from_millis(300),
            status_500: 8,
            status_503: 8,
            reset_after_commit: 12,
        }
    }
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct Tally {
    pub requests: AtomicUsize,
    pub passed: AtomicUsize,
    pub dropped: AtomicUsize,
    pub delayed: AtomicUsize,
    pub status_500: AtomicUsize,
    pub status_503: AtomicUsize,
    pub reset_after_commit: AtomicUsize,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    pub tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let tally = Arc::new(Tally::default());
        let stop = Arc::new(AtomicBool::new(false));
        let rng = Arc::new(Mutex::new(Rng(plan.seed.max(1))));
        let plan = Arc::new(plan);
        {
            let (tally, stop) = (tally.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (tally, plan, rng) = (tally.clone(), plan.clone(), rng.clone());
                    std::thread::spawn(move || {
                        let _ = serve(conn, upstream, &plan, &rng, &tally);
                    });
                }
            });
        }
        FaultProxy { addr, tally, stop }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
    }
}

struct Rng(u64);

impl Rng {
    /// xorshift64*: 0..100
    fn percent(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as u32 % 100
    }
}

fn choose(plan: &Plan, rng: &Mutex<Rng>) -> Fault {
    let mut r = rng.lock().expect("rng").percent();
    for (rate, f) in [
        (plan.drop, Fault::Drop),
        (plan.delay, Fault::Delay(plan.delay_for)),
        (plan.status_500, Fault::Status(500)),
        (plan.status_503, Fault::Status(503)),
        (plan.reset_after_commit, Fault::ResetAfterCommit),
    ] {
        if r < rate {
            return f;
        }
        r -= rate;
    }
    Fault::Pass
}

/// Reads one HTTP/1.1 request (headers and Content-Length body); None at end of stream.
fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("connection:") {
            continue; // replaced below
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    head.extend_from_slice(&body);
    Ok(Some(head))
}

fn forward(upstream: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(request)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    Ok(resp)
}

fn serve(
    conn: TcpStream,
    upstream: SocketAddr,
    plan: &Plan,
    rng: &Mutex<Rng>,
    tally: &Tally,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut conn = conn;
    while let Some(req) = read_request(&mut reader)? {
        tally.requests.fetch_add(1, Ordering::Relaxed);
        let fault = choose(plan, rng);
        match fault {
            Fault::Drop => {
                tally.dropped.fetch_add(1, Ordering::Relaxed);
                let _ = conn.shutdown(Shutdown::Both);
                return Ok(());
            }
            Fault::Status(code) => {
                if code == 500 {
                    tally.status_500.fetch_add(1, Ordering::Relaxed);
                } else {
                    tally.status_503.fetch_add(1, Ordering::Relaxed);
                }
                let reason = if code == 500 {
                    "Internal Server Error"
                } else {
                    "Service Unavailable"
                };
                let retry = if code == 503 || code == 429 {
                    "Retry-After: 1\r\n"
                } else {
                    ""
                };
                write!(
                    conn,
                    "HTTP/1.1 {code} {reason}\r\n{retry}Content-Length: 0\r\n\r\n"
                )?;
                continue;
            }
            Fault::ResetAfterCommit => {
                tally.reset_after_commit.fetch_add(1, Ordering::Relaxed);
                forward(upstream, &req)?; // the server has committed
                socket2::SockRef::from(&conn).set_linger(Some(Duration::ZERO))?;
                return Ok(()); // dropped with linger 0: the client gets a reset
            }
            Fault::Delay(d) => {
                tally.delayed.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(d);
            }
            Fault::Pass => {
                tally.passed.fetch_add(1, Ordering::Relaxed);
            }
        }
        let resp = forward(upstream, &req)?;
        conn.write_all(&resp)?;
        // the upstream answered with Connection: close (we asked): so do we
        return Ok(());
    }
    Ok(())
}

/// Runs tests/fhir-server/validate.mjs (Medplum validateResource + fhir.js + attachment
/// size/hash) over NDJSON; returns its per-resource report lines and whether all passed.
pub fn validate(ndjson: &std::path::Path) -> (bool, String) {
    let out = Command::new("node")
        .arg("--experimental-websocket")
        .arg("validate.mjs")
        .arg(ndjson)
        .current_dir(server_dir())
        .output()
        .expect("node runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
