//! The roles under test, each `mahnwerk run --role <role>` as a process of its own, started from
//! the benchmark's configuration file on the simulated clock. The benchmark is their supervisor:
//! it kills them with SIGKILL on its schedule and starts them again at once, and it starts again
//! any that ended by itself (a role exits non-zero when its database or broker is gone at start),
//! counting those exits. Each process's standard error is appended to one file per role.

use anyhow::Context;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The roles run, one process each.
pub const ROLES: [&str; 3] = ["intake", "scheduler", "delivery"];

/// The shortest time between two starts of a role that ended by itself.
const RESTART_PAUSE: Duration = Duration::from_millis(500);
/// How long a role may take to finish its step after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// One role's process and what happened to it.
pub struct RoleProcess {
    pub role: &'static str,
    config: PathBuf,
    clock: DateTime<Utc>,
    stderr: PathBuf,
    child: Option<Child>,
    started: Instant,
    /// SIGKILLs the benchmark sent.
    pub kills: u32,
    /// Times it ended by itself and was started again, and how the last one ended.
    pub exits: u32,
    pub last_exit: Option<String>,
}

impl RoleProcess {
    /// Starts `role` with the configuration file `config`, its clock standing at `clock`, its
    /// standard error appended to `<logs>/<role>.log`.
    pub fn start(
        role: &'static str,
        config: &Path,
        clock: DateTime<Utc>,
        logs: &Path,
    ) -> anyhow::Result<Self> {
        let mut process = Self {
            role,
            config: config.to_owned(),
            clock,
            stderr: logs.join(format!("{role}.log")),
            child: None,
            started: Instant::now(),
            kills: 0,
            exits: 0,
            last_exit: None,
        };
        process.spawn()?;
        Ok(process)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let exe = std::env::current_exe().context("finding the mahnwerk binary")?;
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .with_context(|| format!("opening {}", self.stderr.display()))?;
        let mut command = Command::new(exe);
        command
            .args(["run", "--role", self.role, "--frozen-clock", &self.clock.to_rfc3339()])
            .arg("--config")
            .arg(&self.config);
        // Only the benchmark's file configures the roles: the operator's MAHNWERK_* variables
        // name other servers.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("MAHNWERK_") {
                command.env_remove(name);
            }
        }
        let child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting `mahnwerk run --role {}`", self.role))?;
        self.child = Some(child);
        self.started = Instant::now();
        Ok(())
    }

    /// SIGKILL, then a new process at once.
    pub fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            // An error here means it had ended already; the wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
        self.kills += 1;
        self.spawn()
    }

    /// Starts the role again if its process ended by itself (after a short pause, so that a
    /// role that cannot start while a server is down does not spin).
    pub fn keep_running(&mut self) -> anyhow::Result<()> {
        let Some(child) = self.child.as_mut() else { return self.spawn() };
        if let Some(status) = child.try_wait()? {
            if self.started.elapsed() < RESTART_PAUSE {
                return Ok(());
            }
            self.exits += 1;
            self.last_exit = Some(status.to_string());
            self.spawn()?;
        }
        Ok(())
    }

    /// Starts the role (stopped by [`RoleProcess::stop_gracefully`]) on a clock standing at `clock`.
    pub fn start_on(&mut self, clock: DateTime<Utc>) -> anyhow::Result<()> {
        self.clock = clock;
        self.spawn()
    }

    /// SIGTERM, and waits until the process has finished its step and ended; after
    /// [`STOP_GRACE`] it is killed (and counted as a kill). Returns whether it was. Until
    /// [`RoleProcess::start_on`], [`RoleProcess::keep_running`] must not be called.
    pub fn stop_gracefully(&mut self) -> anyhow::Result<bool> {
        let mut killed = false;
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let asked = Instant::now();
            while child.try_wait()?.is_none() {
                if asked.elapsed() > STOP_GRACE {
                    let _ = child.kill();
                    self.kills += 1;
                    killed = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.wait();
        }
        Ok(killed)
    }

    /// Stops the process for good (SIGKILL: what it has not recorded is the benchmark's finding).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Everything its processes wrote to standard error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for RoleProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
