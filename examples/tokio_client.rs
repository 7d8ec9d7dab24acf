//! An actor that uses a tokio-based client crate (reqwest) on retinue's
//! default async-std runtime, with no set-up: retinue enters a tokio 1
//! runtime on every executor thread, so reqwest's sockets and timers just
//! work inside handlers. The same file runs unchanged on the tokio and smol
//! backends.
//!
//! The example starts its own tiny HTTP server (tokio sockets, as an actor
//! too) on a free loopback port, asks the client actor to fetch a few
//! pages, prints them and shuts down.
//!
//! Run: `cargo run --example tokio_client`

use std::time::Duration;

use retinue::{Actor, BoxError, Context, Handler, Message, rt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A minimal HTTP/1.1 server: answers `GET /PATH` with "hello from /PATH".
struct HttpServer {
    port: u16,
}

impl Actor for HttpServer {
    async fn started(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        self.port = listener.local_addr()?.port();
        // The accept loop is owned by the actor: it stops with it.
        ctx.spawn_task(async move {
            while let Ok((conn, _)) = listener.accept().await {
                rt::spawn_detached(async move {
                    if let Err(e) = serve(conn).await {
                        eprintln!("server: {e}");
                    }
                });
            }
        });
        Ok(())
    }
}

/// Reads one request head and answers it, closing the connection.
async fn serve(mut conn: TcpStream) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let body = format!("hello from {path}");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes()).await?;
    conn.shutdown().await
}

struct Port;
impl Message for Port {
    type Reply = u16;
}
impl Handler<Port> for HttpServer {
    async fn handle(&mut self, _: Port, _: &mut Context<Self>) -> u16 {
        self.port
    }
}

/// Holds one reqwest client (a connection pool) for the whole actor's life.
struct Fetcher {
    base: String,
    http: reqwest::Client,
}
impl Actor for Fetcher {}

/// Fetches a path; the reply is the body or the error's text.
struct Fetch(&'static str);
impl Message for Fetch {
    type Reply = Result<String, String>;
}

impl Handler<Fetch> for Fetcher {
    async fn handle(&mut self, msg: Fetch, _: &mut Context<Self>) -> Result<String, String> {
        let url = format!("{}{}", self.base, msg.0);
        let response = self
            .http
            .get(&url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok(format!("{status} {body}"))
    }
}

fn main() {
    rt::block_on(async {
        println!("runtime: {}", rt::backend());
        let server = retinue::spawn(HttpServer { port: 0 });
        let port = server.ask(Port).await.expect("the server started");
        let fetcher = retinue::spawn(Fetcher {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        });
        for path in ["/", "/users/7", "/health"] {
            match fetcher.ask(Fetch(path)).await {
                Ok(Ok(page)) => println!("GET {path} -> {page}"),
                Ok(Err(e)) => println!("GET {path} failed: {e}"),
                Err(e) => println!("GET {path}: the fetcher did not answer: {e}"),
            }
        }
        fetcher.stop();
        server.stop();
        server.wait_stopped().await;
    });
}
