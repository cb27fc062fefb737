use std::process::Command;

/// A Postgres cluster of one test's own (initdb on a free port), so that the
/// test can stop and restart it without disturbing the others.
pub struct PrivatePostgres {
    pub port: u16,
    dir: String,
}

const BIN: &str = "/usr/lib/postgresql/15/bin";

fn as_postgres(command: &str) -> bool {
    Command::new("su").args(["postgres", "-c", command]).status().expect("su postgres").success()
}

impl PrivatePostgres {
    /// A port is free when picked but may be taken before Postgres binds it:
    /// then Postgres does not start, and another port is tried.
    pub fn start() -> Self {
        let dir = format!("/tmp/certificate-pg-{}", uuid::Uuid::new_v4().simple());
        std::fs::create_dir_all(&dir).unwrap();
        Command::new("chown").args(["postgres:postgres", &dir]).status().unwrap();
        assert!(as_postgres(&format!("{BIN}/initdb -D {dir}/data -A trust -U postgres >/dev/null")), "initdb failed");
        let mut postgres = Self { port: 0, dir };
        for _ in 0..5 {
            postgres.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            if postgres.pg_ctl("start") {
                return postgres;
            }
        }
        panic!("Postgres did not start on any of 5 free ports (see {}/log)", postgres.dir);
    }

    fn pg_ctl(&self, action: &str) -> bool {
        as_postgres(&format!(
            "{BIN}/pg_ctl -D {dir}/data -l {dir}/log -w -m fast -o '-p {port} -k {dir} -c listen_addresses=127.0.0.1' {action} >/dev/null",
            dir = self.dir,
            port = self.port
        ))
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server, closing every connection (pg_ctl's fast mode).
    pub fn stop(&self) {
        assert!(self.pg_ctl("stop"), "Postgres did not stop");
    }

    /// Starts it again on the same port, after `stop`.
    pub fn resume(&self) {
        assert!(self.pg_ctl("start"), "Postgres did not start again on port {}", self.port);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = Command::new("su")
            .args(["postgres", "-c", &format!("{BIN}/pg_ctl -D {}/data -m immediate stop >/dev/null 2>&1", self.dir)])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
