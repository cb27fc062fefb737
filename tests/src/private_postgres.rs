use std::process::Command;

/// A Postgres cluster of one test's own (initdb on a free port), so that the
/// test can restart it without disturbing the others.
pub struct PrivatePostgres {
    pub port: u16,
    dir: String,
}

const BIN: &str = "/usr/lib/postgresql/15/bin";

fn as_postgres(command: &str) {
    let status = Command::new("su").args(["postgres", "-c", command]).status().expect("su postgres");
    assert!(status.success(), "{command} failed");
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = format!("/tmp/certificate-pg-{}", uuid::Uuid::new_v4().simple());
        std::fs::create_dir_all(&dir).unwrap();
        Command::new("chown").args(["postgres:postgres", &dir]).status().unwrap();
        as_postgres(&format!("{BIN}/initdb -D {dir}/data -A trust -U postgres >/dev/null"));
        let postgres = Self { port, dir };
        postgres.pg_ctl("start");
        postgres
    }

    fn pg_ctl(&self, action: &str) {
        as_postgres(&format!(
            "{BIN}/pg_ctl -D {dir}/data -l {dir}/log -w -m fast -o '-p {port} -k {dir} -c listen_addresses=127.0.0.1' {action} >/dev/null",
            dir = self.dir,
            port = self.port
        ));
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn restart(&self) {
        self.pg_ctl("restart");
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
