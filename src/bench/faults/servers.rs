//! The fault benchmark's own PostgreSQL and RabbitMQ, so that it can crash them without touching
//! the machine's servers (which other programs may be using): each is started in the run's
//! temporary folder on free ports, crashed and started again on the benchmark's schedule, and
//! stopped when dropped, also when the run fails.
//!
//! - PostgreSQL: `initdb`, then `pg_ctl start`; a crash is `pg_ctl stop -m immediate` (every
//!   server process quits at once without a checkpoint; the start after it runs crash recovery).
//!   PostgreSQL refuses to run as root, so as root the commands run as the `postgres` user
//!   (`runuser`), in a data folder owned by it.
//! - RabbitMQ: one node of its own (`RABBITMQ_NODENAME=faults-<pid>@localhost`, its own ports,
//!   folders, configuration and no plugins, so nothing of the machine's node is read or bound);
//!   a crash is SIGKILL to the node's process group.

use anyhow::{bail, Context};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a server may take to come up.
const START_LIMIT: Duration = Duration::from_secs(180);

/// A port nobody listens on right now (the kernel's pick for port 0).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something accepts connections on `port`, or `limit` passes.
fn wait_for_port(port: u16, limit: Duration, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("{what} did not accept connections on port {port} within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Runs `command` to its end; an exit other than 0 is an error naming it, with its output.
fn run_to_end(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("starting {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The last `n` lines of `text`.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The effective user id of this process (`/proc/self/status`); `None` where it cannot be read.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// The user and group id of `user` (`/etc/passwd`).
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&user) && fields.len() > 3)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

/// The folder of the newest PostgreSQL server binaries: `MAHNWERK_BENCH_PG_BIN`, else the
/// highest version under `/usr/lib/postgresql/*/bin` (Debian, Ubuntu), else `pg_config --bindir`.
fn postgres_binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("MAHNWERK_BENCH_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let output = Command::new("pg_config").arg("--bindir").output();
    match output {
        Ok(output) if output.status.success() => {
            Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
        }
        _ => bail!(
            "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and for \
             pg_config); set MAHNWERK_BENCH_PG_BIN to the folder holding initdb and pg_ctl"
        ),
    }
}

/// A PostgreSQL server of the benchmark's own.
pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    /// `Some("postgres")` when this process runs as root.
    run_as: Option<&'static str>,
    running: bool,
}

impl PrivatePostgres {
    /// Creates a cluster in `dir` (made for it) and starts it.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        let bin = postgres_binaries()?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let run_as = (effective_uid() == Some(0)).then_some("postgres");
        if let Some(user) = run_as {
            let (uid, gid) = user_ids(user).context(
                "running as root, PostgreSQL needs the user `postgres` to run as, and there is none",
            )?;
            std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                .with_context(|| format!("handing {} to the postgres user", dir.display()))?;
        }
        let mut server = Self {
            data: dir.join("data"),
            log: dir.join("postgres.log"),
            port: free_port()?,
            bin,
            run_as,
            running: false,
        };
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(&server.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run_to_end(initdb, "initdb")?;
        server.start_again()?;
        Ok(server)
    }

    /// `bin/<program>`, as the postgres user when this process is root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// The URL of `database` on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        // No Unix socket (the folder would have to be the postgres user's); fsync off: the
        // crashes are the server's, not the machine's, and the disk is shared.
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
             -c max_connections=200",
            self.port
        );
        let mut start = self.command("pg_ctl");
        start.arg("-D").arg(&self.data).arg("-l").arg(&self.log);
        start.args(["-w", "-t", &START_LIMIT.as_secs().to_string(), "-o", &options, "start"]);
        start.stdin(Stdio::null());
        run_to_end(start, "pg_ctl start")?;
        self.running = true;
        wait_for_port(self.port, START_LIMIT, "PostgreSQL")
    }

    /// Stops every server process at once, without a checkpoint: what a crash leaves behind.
    pub fn crash(&mut self) -> anyhow::Result<()> {
        let mut stop = self.command("pg_ctl");
        stop.arg("-D").arg(&self.data).args(["-m", "immediate", "-w", "stop"]);
        run_to_end(stop, "pg_ctl stop")?;
        self.running = false;
        Ok(())
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if self.running {
            let _ = self.crash();
        }
    }
}

/// The RabbitMQ server script: the one under `/usr/lib/rabbitmq/bin` (Debian's `/usr/sbin`
/// wrapper switches to the rabbitmq user and sends the output to /var/log), else the one on PATH.
fn rabbitmq_server() -> PathBuf {
    let debian = Path::new("/usr/lib/rabbitmq/bin/rabbitmq-server");
    if debian.exists() {
        debian.to_owned()
    } else {
        PathBuf::from("rabbitmq-server")
    }
}

/// A RabbitMQ node of the benchmark's own.
pub struct PrivateRabbitmq {
    dir: PathBuf,
    node: String,
    port: u16,
    dist_port: u16,
    node_process: Option<Child>,
}

impl PrivateRabbitmq {
    /// Prepares a node in `dir` (made for it) and starts it.
    pub fn start(dir: &Path) -> anyhow::Result<Self> {
        for sub in ["mnesia", "log"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("creating {}", dir.display()))?;
        }
        let port = free_port()?;
        std::fs::write(dir.join("enabled_plugins"), "[].\n")?;
        std::fs::write(dir.join("rabbitmq.conf"), format!("listeners.tcp.default = 127.0.0.1:{port}\n"))?;
        std::fs::write(dir.join("rabbitmq-env.conf"), "")?;
        let mut node = Self {
            dir: dir.to_owned(),
            node: format!("faults-{}@localhost", std::process::id()),
            port,
            dist_port: free_port()?,
            node_process: None,
        };
        node.start_again()?;
        Ok(node)
    }

    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Starts the node (again) and waits until it accepts AMQP connections (its listener opens
    /// last, once the node has booted).
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let dir = &self.dir;
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("node.out"))
            .context("opening the RabbitMQ node's output file")?;
        let child = Command::new(rabbitmq_server())
            .env("HOME", dir)
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", dir.join("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", dir.join("rabbitmq.conf"))
            .env("RABBITMQ_ADVANCED_CONFIG_FILE", dir.join("advanced.config"))
            .env("RABBITMQ_CONF_ENV_FILE", dir.join("rabbitmq-env.conf"))
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            // Its own process group: the crash takes the Erlang VM and its helpers at once.
            .process_group(0)
            .spawn()
            .context("starting rabbitmq-server")?;
        self.node_process = Some(child);
        wait_for_port(self.port, START_LIMIT, "the RabbitMQ node").with_context(|| {
            let out = std::fs::read_to_string(dir.join("node.out")).unwrap_or_default();
            format!("the RabbitMQ node's output ends with:\n{}", last_lines(&out, 20))
        })
    }

    /// Kills the node's whole process group with SIGKILL.
    pub fn crash(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.node_process.take() else { return Ok(()) };
        let group = format!("-{}", child.id());
        let killed = Command::new("kill").args(["-KILL", "--", &group]).status();
        if !killed.is_ok_and(|status| status.success()) {
            child.kill().context("killing the RabbitMQ node")?;
        }
        child.wait().context("waiting for the RabbitMQ node to end")?;
        // The listener is gone with the process; wait until the port is free for the restart.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

impl Drop for PrivateRabbitmq {
    fn drop(&mut self) {
        let _ = self.crash();
    }
}
