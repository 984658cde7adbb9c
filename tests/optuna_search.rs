//! `infomorph search --optuna-storage`: workers of one shared Optuna study, against a
//! real PostgreSQL server started here on loopback and against a journal file. Every
//! trial completes exactly once, a worker killed mid-trial leaves its trial failed, and
//! `--report` agrees with `optuna best-trial`. Nothing is skipped: without Optuna or
//! PostgreSQL the tests fail and say to run `bash scripts/setup.sh search`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SETUP: &str = "run bash scripts/setup.sh search";

const TOY: [&str; 10] = [
    "--task",
    "and",
    "--model",
    "context",
    "--hidden",
    "4",
    "--batch",
    "64",
    "--startup",
    "4",
];

fn optuna() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/optuna");
    if venv.is_file() {
        return venv;
    }
    let ok = Command::new("optuna")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "no optuna in .venv/bin or on PATH: {SETUP}");
    PathBuf::from("optuna")
}

/// A fresh folder under the system's temporary one.
fn temp_dir(what: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("infomorph-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A worker: `infomorph search --optuna-storage S --study-name N --trials T --json`.
fn worker(storage: &str, study: &str, trials: usize, epochs: usize, leases: &Path) -> Child {
    let (trials, epochs) = (trials.to_string(), epochs.to_string());
    Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["search", "--optuna-storage", storage, "--study-name", study])
        .args(TOY)
        .args(["--trials", &trials, "--epochs", &epochs, "--json"])
        .env("INFOMORPH_OPTUNA_LEASES", leases)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn succeeded(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "a worker failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn optuna_json(storage: &str, study: &str, what: &str) -> Value {
    let out = Command::new(optuna())
        .args([
            what,
            "--storage",
            storage,
            "--study-name",
            study,
            "-f",
            "json",
        ])
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "optuna {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn states(trials: &Value) -> Vec<(u64, String)> {
    let mut s: Vec<(u64, String)> = trials
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["number"].as_u64().unwrap(),
                t["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    s.sort();
    s
}

/// `infomorph search --report` for the study: its trial lines and its best line.
fn report(storage: &str, study: &str) -> (Vec<Value>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["search", "--optuna-storage", storage, "--study-name", study])
        .args(TOY)
        .arg("--report")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let best = lines.pop().unwrap();
    (lines, best)
}

/// Three workers of four trials each at once: twelve complete trials, 0 to 11, each
/// once; `--report` prints them and the best `optuna best-trial` names.
fn three_workers(storage: &str) {
    let study = "three";
    let leases = temp_dir("leases");
    let workers: Vec<Child> = (0..3)
        .map(|_| worker(storage, study, 4, 1, &leases))
        .collect();
    let mut told = Vec::new();
    for w in workers {
        let out = succeeded(w);
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if let Some(t) = v["trial"].as_u64() {
                told.push(t);
            }
        }
    }
    told.sort_unstable();
    assert_eq!(told, (0..12).collect::<Vec<u64>>(), "each trial run once");
    let trials = optuna_json(storage, study, "trials");
    let expected: Vec<(u64, String)> = (0..12).map(|n| (n, "COMPLETE".into())).collect();
    assert_eq!(states(&trials), expected);

    let best = optuna_json(storage, study, "best-trial");
    let (lines, reported) = report(storage, study);
    assert_eq!(lines.len(), 12);
    assert!(lines
        .iter()
        .all(|l| l["state"] == "complete" && l["gamma"].as_array().unwrap().len() == 5));
    assert_eq!(reported["best"]["trial"], best["number"]);
    assert_eq!(reported["best"]["value"], best["value"]);
    let gamma: Vec<f64> = (0..5)
        .map(|i| best["params"][format!("g{i}")].as_f64().unwrap())
        .collect();
    let reported_gamma: Vec<f64> =
        serde_json::from_value(reported["best"]["gamma"].clone()).unwrap();
    assert_eq!(reported_gamma, gamma);
    let _ = std::fs::remove_dir_all(leases);
}

/// A PostgreSQL server in a temporary folder on a free loopback port, run as `nobody`
/// when this is root (initdb refuses root); stopped when dropped.
struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl Postgres {
    fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                let mut v: Vec<PathBuf> = d.flatten().map(|e| e.path().join("bin")).collect();
                v.sort();
                v.pop()
            })
            .filter(|b| b.join("initdb").is_file())
            .unwrap_or_else(|| panic!("no PostgreSQL in /usr/lib/postgresql: {SETUP}"));
        let dir = temp_dir("postgres");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = Postgres { dir, bin, port };
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "nobody"])
                .arg(&pg.dir)
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown nobody {}", pg.dir.display());
        }
        let data = pg.dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                s(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
            ],
        );
        let options = format!("-k {} -p {} -h 127.0.0.1", s(&pg.dir), pg.port);
        let log = pg.dir.join("log");
        pg.run(
            "pg_ctl",
            &["-D", s(&data), "-o", &options, "-l", s(&log), "-w", "start"],
        );
        pg
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = cmd.args(args).current_dir(&self.dir).output().unwrap();
        assert!(
            out.status.success(),
            "{program}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let path = self.bin.join("pg_ctl");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = cmd
            .args(["-D", s(&data), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn three_workers_share_a_postgresql_study() {
    optuna();
    let pg = Postgres::start();
    three_workers(&pg.url());
}

#[test]
fn three_workers_share_a_journal_file() {
    optuna();
    let dir = temp_dir("journal");
    let journal = dir.join("study.log");
    std::fs::write(&journal, "").unwrap();
    three_workers(s(&journal));
    let _ = std::fs::remove_dir_all(dir);
}

/// A worker killed (SIGKILL) mid-trial: its trial ends failed — once, not lost — when
/// another worker asks; the other worker goes on, and a restarted one too.
#[test]
fn a_killed_workers_trial_ends_failed() {
    optuna();
    let dir = temp_dir("killed");
    let journal = dir.join("study.log");
    std::fs::write(&journal, "").unwrap();
    let storage = s(&journal).to_string();
    let leases = dir.join("leases");
    let study = "killed";
    // A long trial (the victim's), and a short-trial worker beside it.
    let mut victim = worker(&storage, study, 1, 100_000, &leases);
    let other = worker(&storage, study, 4, 1, &leases);
    let victim_pid = victim.id().to_string();
    let start = Instant::now();
    let victim_trial: u64 = loop {
        let found = std::fs::read_dir(&leases).ok().and_then(|d| {
            d.flatten().find_map(|e| {
                let text = std::fs::read_to_string(e.path()).ok()?;
                (text.split_whitespace().nth(1) == Some(victim_pid.as_str())).then(|| {
                    e.file_name().to_str().unwrap()["trial-".len()..]
                        .parse()
                        .unwrap()
                })
            })
        });
        if let Some(n) = found {
            break n;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the victim never started a trial"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(300));
    victim.kill().unwrap();
    victim.wait().unwrap();
    succeeded(other);
    succeeded(worker(&storage, study, 1, 1, &leases));

    let st = states(&optuna_json(&storage, study, "trials"));
    assert_eq!(st.len(), 6, "{st:?}");
    for (n, state) in &st {
        let want = if *n == victim_trial {
            "FAIL"
        } else {
            "COMPLETE"
        };
        assert_eq!(state, want, "trial {n}: {st:?}");
    }
    let (lines, _) = report(&storage, study);
    assert_eq!(
        lines.iter().filter(|l| l["state"] == "failed").count(),
        1,
        "{lines:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_storage_that_cannot_be_reached_is_one_line_and_exit_2() {
    optuna();
    let out = Command::new(env!("CARGO_BIN_EXE_infomorph"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "search",
            "--optuna-storage",
            "postgresql://postgres@127.0.0.1:1/none",
            "--study-name",
            "x",
            "--trials",
            "1",
        ])
        .args(TOY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
}
