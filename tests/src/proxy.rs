use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A TCP proxy on a loopback port that a test can cut and restore: cutting
/// closes every open connection and refuses new ones, as a dead or
/// unreachable server would look to the service.
#[derive(Clone)]
pub struct TcpProxy {
    pub port: u16,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl TcpProxy {
    pub fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let proxy = Self {
            port: listener.local_addr().unwrap().port(),
            open: Arc::new(AtomicBool::new(true)),
            connections: Arc::new(Mutex::new(Vec::new())),
        };
        let accepting = proxy.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                accepting.forward(client, target);
            }
        });
        proxy
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Checks and registers under one lock, so that a cut cannot miss a
    /// connection accepted just before it.
    fn forward(&self, client: TcpStream, target: SocketAddr) {
        let mut connections = self.connections.lock().unwrap();
        let server = match self.open.load(Ordering::SeqCst) {
            true => TcpStream::connect(target).ok(),
            false => None,
        };
        let Some(server) = server else {
            let _ = client.shutdown(Shutdown::Both);
            return;
        };
        for stream in [&client, &server] {
            connections.push(stream.try_clone().unwrap());
        }
        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
        pipe(server, client);
    }

    pub fn cut(&self) {
        let mut connections = self.connections.lock().unwrap();
        self.open.store(false, Ordering::SeqCst);
        for stream in connections.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}
