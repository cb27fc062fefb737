//! Runs the upstream fake: `upstream-fake [ADDR] [WORKERS]` (default
//! 127.0.0.1:4000, 2 workers). Prints the address it listens on.

use std::net::TcpListener;

use upstream_fake::FakeUpstreams;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4000".to_owned());
    let workers = args.next().and_then(|w| w.parse().ok()).unwrap_or(2);
    let listener = TcpListener::bind(&addr)?;
    let fake = FakeUpstreams::serve(listener, workers, false)?;
    println!("upstream fake listening on {}", fake.base_url());
    loop {
        std::thread::park();
    }
}
