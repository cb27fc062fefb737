//! Starting Chromium so that it never outlives the process that started it.
//!
//! Promises:
//! - the browser gets SIGKILL from the kernel when the thread that started it
//!   ends, so when this process ends however it ends (SIGKILL included), and
//!   its own helper processes follow it; chromiumoxide's own launcher leaves
//!   the browser running when the process exits without dropping it, which
//!   left hundreds of browsers behind test runs. That holds for the browser's
//!   binary: a script that starts it as a child of its own (Debian's
//!   /usr/bin/chromium) is killed alone, so `CHROMIUM_PATH` names the binary;
//! - a browser stopped or dropped is killed with every process of its group
//!   (its renderers, and the browser under such a script);
//! - each browser has a profile directory of its own, removed when it is
//!   stopped; the profiles that browsers of processes no longer running left
//!   behind are removed at the next launch.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const PROFILE_PREFIX: &str = "certificate-chromium-";
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(20);

/// Flags of every launch: headless, no sandbox (a container's user namespace
/// has none to give), a DevTools port the kernel chooses, and nothing the
/// browser would do for itself (chromiumoxide's defaults, which puppeteer's are).
const LAUNCH_ARGS: [&str; 17] = [
    "--headless",
    "--no-sandbox",
    "--disable-setuid-sandbox",
    "--remote-debugging-port=0",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-breakpad",
    "--disable-default-apps",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-first-run",
    "--password-store=basic",
    "--use-mock-keychain",
    "--force-color-profile=srgb",
    "--lang=en_US",
];

/// A browser this process started: its process and its profile.
pub(crate) struct Launched {
    child: tokio::sync::Mutex<Child>,
    profile: PathBuf,
}

impl Launched {
    /// Starts `executable` with `args` (without their leading `--`) and
    /// answers it with the DevTools WebSocket URL it printed.
    pub(crate) async fn start(executable: &Path, args: &[&str], launch: u64) -> Result<(Self, String), String> {
        remove_profiles_of_ended_processes();
        let profile = std::env::temp_dir().join(format!("{PROFILE_PREFIX}{}-{launch}", std::process::id()));
        let mut command = Command::new(executable);
        command
            .args(LAUNCH_ARGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args.iter().map(|arg| format!("--{arg}")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        die_with_this_thread(&mut command);
        let mut child = command.spawn().map_err(|e| format!("Chromium did not start: {e}"))?;
        let stderr = child.stderr.take().expect("stderr is piped");
        let launched = Self { child: tokio::sync::Mutex::new(child), profile };
        match tokio::time::timeout(LAUNCH_TIMEOUT, devtools_url(stderr)).await {
            Ok(Ok(url)) => Ok((launched, url)),
            Ok(Err(output)) => Err(format!("Chromium did not start: {output}")),
            Err(_) => Err(format!("Chromium did not start within {} s", LAUNCH_TIMEOUT.as_secs())),
        }
    }

    /// Kills the browser's processes, waits for the browser and removes its profile.
    pub(crate) async fn stop(&self) {
        let mut child = self.child.lock().await;
        kill_group(&child);
        let _ = child.wait().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// SIGKILL to the group the browser leads (process_group(0) at its start).
fn kill_group(child: &Child) {
    if let Some(pid) = child.id() {
        // SAFETY: kill(2) with a negative pid signals that process group.
        unsafe { libc::kill(-(pid as libc::pid_t), libc::SIGKILL) };
    }
}

/// Where the runtime drops a browser without stopping it (the printer
/// dropped): the kill is sent, and the profile goes at the next launch if
/// the browser was still writing it.
impl Drop for Launched {
    fn drop(&mut self) {
        kill_group(self.child.get_mut());
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// PR_SET_PDEATHSIG: the kernel kills the child when the thread that forked
/// it ends (a runtime's worker, which lives as long as the printer, or the
/// process). The parent may have ended between fork and prctl: then the
/// child is an orphan already and ends itself.
fn die_with_this_thread(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: between fork and exec only async-signal-safe calls are made
    // (prctl, getppid, _exit), and no memory is allocated.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

/// The `DevTools listening on ws://…` line Chromium writes to stderr; the
/// rest of stderr is then read and dropped, so that the browser never
/// blocks on a full pipe. The error is what the browser wrote before it ended.
async fn devtools_url(stderr: tokio::process::ChildStderr) -> Result<String, String> {
    let mut lines = BufReader::new(stderr).lines();
    let mut written = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(url) =
            line.rsplit_once("listening on ").map(|(_, url)| url.trim()).filter(|url| url.starts_with("ws"))
        {
            let url = url.to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok(url);
        }
        written.push(line);
    }
    Err(written.join("\n"))
}

/// Profiles named after a process that is no longer running: what a
/// browser killed with its process left.
fn remove_profiles_of_ended_processes() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) =
            name.to_str().and_then(|name| name.strip_prefix(PROFILE_PREFIX)).and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
