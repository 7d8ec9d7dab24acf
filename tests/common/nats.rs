//! A real `nats-server` with JetStream for the remote tests.
//!
//! Invariants:
//! - the port is chosen by the server itself (`-p -1`) and read back from
//!   its ports file, so two tests never race for a port;
//! - every server gets its own temporary store directory;
//! - `Drop` kills and reaps the process and removes the directory, also
//!   when the test panics: nothing is left running;
//! - the server runs under a small `sh` keeper that holds a pipe from the
//!   test process: when the pipe closes (a drop, or the test process dying
//!   without unwinding, e.g. on abort) the keeper SIGKILLs the server.

#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where Debian's package installs the server; `NATS_SERVER` overrides.
fn server_binary() -> PathBuf {
    std::env::var_os("NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            for candidate in ["/usr/sbin/nats-server", "/usr/bin/nats-server"] {
                if Path::new(candidate).exists() {
                    return PathBuf::from(candidate);
                }
            }
            PathBuf::from("nats-server")
        })
}

/// A fresh, empty temporary directory (removed by [`NatsServer`]'s drop).
fn temp_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("retinue-nats-{}-{n}", std::process::id()));
        if std::fs::create_dir(&dir).is_ok() {
            return dir;
        }
    }
}

/// A running `nats-server -js` on 127.0.0.1.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    user: Option<(String, String)>,
}

impl NatsServer {
    /// A server anyone may connect to.
    pub fn start() -> NatsServer {
        Self::launch(None)
    }

    /// A server that requires this user and password.
    pub fn start_with_user(user: &str, password: &str) -> NatsServer {
        Self::launch(Some((user.to_string(), password.to_string())))
    }

    fn launch(user: Option<(String, String)>) -> NatsServer {
        let dir = temp_dir();
        let mut server = NatsServer {
            child: None,
            port: 0,
            dir,
            user,
        };
        server.spawn(None);
        server
    }

    /// Starts the process (on `port`, or a port of the server's choosing)
    /// and waits until it accepts connections.
    fn spawn(&mut self, port: Option<u16>) {
        let ports_dir = self.dir.join("ports");
        let _ = std::fs::remove_dir_all(&ports_dir);
        std::fs::create_dir_all(&ports_dir).expect("ports dir");
        let port_arg = port.map_or("-1".to_string(), |p| p.to_string());
        // $0 is the server, "$@" its arguments. The keeper exits with the
        // server; a reader of its stdin stops the server: gracefully
        // (SIGTERM) on a line "term", with SIGKILL when the pipe closes.
        let keeper = r#"exec 3<&0; "$0" "$@" </dev/null >/dev/null 2>&1 & pid=$!; (read cmd <&3; if [ "$cmd" = term ]; then kill -TERM $pid; else kill -9 $pid; fi) & wait $pid"#;
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(keeper)
            .arg(server_binary())
            .args(["-a", "127.0.0.1", "-p", &port_arg, "-js", "-sd"])
            .arg(self.dir.join("store"))
            .arg("--ports_file_dir")
            .arg(&ports_dir)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((user, pass)) = &self.user {
            cmd.args(["--user", user, "--pass", pass]);
        }
        let child = cmd
            .spawn()
            .expect("nats-server must be installed (apt-get install nats-server)");
        self.child = Some(child);
        self.port = self.wait_for_port(&ports_dir);
        self.wait_accepting();
    }

    fn wait_for_port(&mut self, ports_dir: &Path) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(port) = read_ports_file(ports_dir) {
                return port;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!("nats-server exited early ({status}):\n{log}");
            }
            assert!(Instant::now() < deadline, "nats-server wrote no ports file");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_accepting(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server does not accept connections"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it, keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.stdin.take()); // the keeper kills the server and waits for it
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (SIGTERM: JetStream flushes its state)
    /// and waits for it, keeping its store.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                let _ = stdin.write_all(b"term\n");
                let _ = stdin.flush();
            }
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully, then starts it again on the same port
    /// with the same store (JetStream state survives). Clients reconnect.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        self.spawn(Some(port));
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

fn read_ports_file(dir: &Path) -> Option<u16> {
    let entry = std::fs::read_dir(dir).ok()?.flatten().next()?;
    let text = std::fs::read_to_string(entry.path()).ok()?;
    // {"nats":["nats://127.0.0.1:46513"], ...}
    let start = text.find("nats://")? + "nats://".len();
    let rest = &text[start..];
    let colon = rest.find(':')?;
    let digits: String = rest[colon + 1..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Child processes that are killed and reaped when this is dropped (also
/// when a test panics).
#[derive(Default)]
pub struct Procs(pub Vec<Child>);

impl Procs {
    pub fn push(&mut self, child: Child) -> usize {
        self.0.push(child);
        self.0.len() - 1
    }

    /// SIGKILL one process and reap it.
    pub fn kill(&mut self, index: usize) {
        let _ = self.0[index].kill();
        let _ = self.0[index].wait();
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An actor that forwards every [`retinue::Down`] it gets to a channel:
/// the watcher of the death-watch tests.
pub struct DownSink(async_channel::Sender<retinue::Down>);

impl retinue::Actor for DownSink {}

impl retinue::Handler<retinue::Down> for DownSink {
    async fn handle(&mut self, msg: retinue::Down, _: &mut retinue::Context<Self>) {
        let _ = self.0.send(msg).await;
    }
}

impl DownSink {
    /// A running sink's recipient and the channel its notices arrive on.
    pub fn spawn() -> (
        retinue::Recipient<retinue::Down>,
        async_channel::Receiver<retinue::Down>,
    ) {
        let (tx, rx) = async_channel::unbounded();
        (retinue::spawn(DownSink(tx)).recipient(), rx)
    }
}

/// The options of a test node: fast heartbeats (every 100 ms, lost after
/// 600 ms of silence) and a 3 s ask deadline.
#[cfg(feature = "nats")]
pub fn node_options(url: &str, name: &str) -> retinue::remote::NodeOptions {
    let mut opts = retinue::remote::NodeOptions::new(name, url);
    opts.ask_timeout = Duration::from_secs(3);
    opts.heartbeat.interval = Duration::from_millis(100);
    opts.heartbeat.timeout = Duration::from_millis(600);
    opts
}

/// A test node ([`node_options`]) joined to the server at `url`.
#[cfg(feature = "nats")]
pub async fn connect(url: &str, name: &str) -> retinue::remote::Node {
    retinue::remote::Node::connect(node_options(url, name))
        .await
        .unwrap_or_else(|e| panic!("node {name} cannot join {url}: {e}"))
}
