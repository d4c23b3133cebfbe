//! A software TPM for tests: Debian's `swtpm`, started on free loopback ports with its own
//! state folder, stopped when dropped. Each one is a different "machine".

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SoftTpm {
    child: Child,
    pub port: u16,
    _state: tempfile::TempDir,
}

fn free_port_pair() -> u16 {
    loop {
        let a = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = a.local_addr().expect("local addr").port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

impl SoftTpm {
    /// Starts a fresh TPM (new seeds: another PC). Panics with the install hint if swtpm is
    /// missing: the tests need it (`apt-get install swtpm swtpm-tools tpm2-tools`).
    pub fn start() -> SoftTpm {
        let state = tempfile::tempdir().expect("tempdir");
        let port = free_port_pair();
        let child = Command::new("swtpm")
            .args(["socket", "--tpm2"])
            .arg("--server")
            .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
            .arg("--tpmstate")
            .arg(format!("dir={}", state.path().display()))
            .args(["--flags", "startup-clear"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("swtpm is required for the TPM tests (apt-get install swtpm swtpm-tools tpm2-tools): {e}")
            });
        let t = SoftTpm {
            child,
            port,
            _state: state,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "swtpm did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        t
    }

    /// The TCTI name for `Tpm::open` and `HIKAE_TPM_TCTI`.
    pub fn tcti(&self) -> String {
        format!("swtpm:host=127.0.0.1,port={}", self.port)
    }

    /// Sets the dictionary-attack limits with tpm2-tools (as the hospital's IT would on a
    /// real PC): `max_tries` failures, then one forgiven every `recovery_secs`.
    pub fn set_lockout(&self, max_tries: u32, recovery_secs: u32) {
        let out = Command::new("tpm2_dictionarylockout")
            .arg("-T")
            .arg(self.tcti())
            .args(["--setup-parameters", "--clear-lockout"])
            .arg(format!("--max-tries={max_tries}"))
            .arg(format!("--recovery-time={recovery_secs}"))
            .arg("--lockout-recovery-time=1000")
            .output()
            .expect("tpm2_dictionarylockout (apt-get install tpm2-tools)");
        assert!(
            out.status.success(),
            "tpm2_dictionarylockout: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SoftTpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
