//! A Jaeger sampling strategy server on loopback, for tests and examples: plain `std` TCP, one
//! thread to accept and one per connection, HTTP/1.1 with `Connection: close`.
//!
//! ```ignore
//! #[path = "support/strategy_server.rs"]
//! mod strategy_server;
//! use strategy_server::{Mode, StrategyServer};
//!
//! let server = StrategyServer::start();
//! server.set_body(r#"{"probabilisticSampling":{"samplingRate":0.5}}"#);
//! let endpoint = server.endpoint(); // http://127.0.0.1:PORT/sampling
//! server.set_mode(Mode::Status(500));
//! assert!(server.wait_for_requests(1, std::time::Duration::from_secs(5)));
//! ```
//!
//! Every request is answered according to the current [`Mode`] and recorded (time, path and
//! query); dropping the server stops it, and connections it holds open.

#![allow(dead_code)] // each test binary uses a part

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How the server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 200 with the body set by [`StrategyServer::set_body`].
    Serve,
    /// This status, with a short text body.
    Status(u16),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200 with a body of this many bytes (a JSON string padded out), e.g. 10 MiB.
    Huge(usize),
    /// Accept the connection, read the request, never answer (until the server is dropped).
    Hang,
    /// Accept and close at once, without a byte.
    Close,
    /// Answer as a server that speaks only HTTP/2 (gRPC) does to an HTTP/1.1 request: an
    /// HTTP/2 SETTINGS frame and a GOAWAY, then close.
    Http2Only,
}

/// One request received.
#[derive(Clone, Debug)]
pub struct Request {
    /// When its head was read.
    pub at: Instant,
    /// The request target: path and query (`/sampling?service=checkout`).
    pub target: String,
}

struct State {
    mode: Mutex<Mode>,
    body: Mutex<Vec<u8>>,
    requests: Mutex<Vec<Request>>,
    arrived: Condvar,
    stopping: AtomicBool,
}

/// The server; see the module docs.
pub struct StrategyServer {
    addr: SocketAddr,
    state: Arc<State>,
    started: Instant,
}

impl StrategyServer {
    /// Listens on `127.0.0.1`, an ephemeral port, serving `{}` (probabilistic, rate 0) until
    /// told otherwise.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            mode: Mutex::new(Mode::Serve),
            body: Mutex::new(b"{}".to_vec()),
            requests: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            stopping: AtomicBool::new(false),
        });
        let accept_state = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_state.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&accept_state);
                thread::spawn(move || handle(stream, &state));
            }
        });
        Self {
            addr,
            state,
            started: Instant::now(),
        }
    }

    /// An endpoint where nothing listens: connections are refused.
    pub fn refused_endpoint() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        drop(listener);
        format!("http://{addr}/sampling")
    }

    /// `http://127.0.0.1:PORT/sampling`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/sampling", self.addr)
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// When the server started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// The body served in [`Mode::Serve`], from now on.
    pub fn set_body(&self, body: impl Into<Vec<u8>>) {
        *self.state.body.lock().unwrap() = body.into();
    }

    /// How requests are answered, from now on.
    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many requests so far.
    pub fn request_count(&self) -> usize {
        self.state.requests.lock().unwrap().len()
    }

    /// Waits until at least `count` requests have arrived, at most `timeout`; whether they
    /// did.
    pub fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut requests = self.state.requests.lock().unwrap();
        while requests.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            requests = self.state.arrived.wait_timeout(requests, left).unwrap().0;
        }
        true
    }
}

impl Drop for StrategyServer {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Reads the request head (at most 16 KiB, 5 s), records it, answers by the mode.
fn handle(mut stream: TcpStream, state: &State) {
    if state.stopping.load(Ordering::SeqCst) {
        return;
    }
    let mode = state.mode.lock().unwrap().clone();
    if mode == Mode::Close {
        record(state, String::new());
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text
        .lines()
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    record(state, target);
    let respond = |stream: &mut TcpStream, status: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
        let _ = stream.flush();
    };
    match mode {
        Mode::Serve => {
            let body = state.body.lock().unwrap().clone();
            respond(&mut stream, "200 OK", &body);
        }
        Mode::Status(code) => respond(&mut stream, &format!("{code} Status"), b"no strategy"),
        Mode::Garbage => respond(&mut stream, "200 OK", b"<html>not json</html>"),
        Mode::Huge(size) => {
            let mut body = b"{\"pad\":\"".to_vec();
            body.resize(size.saturating_sub(2).max(body.len()), b'x');
            body.extend_from_slice(b"\"}");
            respond(&mut stream, "200 OK", &body);
        }
        Mode::Hang => {
            // Bounded: until the server is dropped, at most 60 s.
            let deadline = Instant::now() + Duration::from_secs(60);
            while !state.stopping.load(Ordering::SeqCst) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
        }
        Mode::Http2Only => {
            // SETTINGS (empty), then GOAWAY (last stream 0, PROTOCOL_ERROR).
            let settings = [0, 0, 0, 4, 0, 0, 0, 0, 0];
            let goaway = [0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
            let _ = stream.write_all(&settings);
            let _ = stream.write_all(&goaway);
        }
        Mode::Close => unreachable!("answered above"),
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn record(state: &State, target: String) {
    state.requests.lock().unwrap().push(Request {
        at: Instant::now(),
        target,
    });
    state.arrived.notify_all();
}
