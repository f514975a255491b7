//! A local Lambda Runtime API host for benchmarks: starts a function's real bootstrap (ours, or a
//! Python peer under awslambdaric), serves it events through the Runtime API exactly as Lambda
//! does, and measures
//!
//! - init: process start → its first `GET /runtime/invocation/next`;
//! - first invocation: event handed over → response posted;
//! - warm invocations: the same, `--warm` times after the first;
//! - peak RSS: `VmHWM` of the process after the last response.
//!
//! Every figure is taken once per process start, `--runs` times. The result is one JSON object on
//! stdout; `scripts/bench` runs this for every function and writes the report.
//!
//! Usage: `lambda-bench --name NAME --event FILE [--runs 20] [--warm 1000] [--env K=V]... [--allow-errors] [--id-seed N] -- CMD ARGS...`
//! Without `--allow-errors` a function error fails the run.
//! In the event file, `{{id}}` is replaced by a fresh identifier for every invocation:
//! `{seed:08x}-{n%0xffff:04x}-4{n%0xfff:03x}-8{n%0xfff:03x}-{n:012x}`, where n counts invocations
//! across runs and the seed is `--id-seed` (default: this process's ID), so a caller can create
//! the matching jobs beforehand.
// Test code: a failed step should stop the test at once and say where.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    name: String,
    event: String,
    runs: usize,
    warm: usize,
    env: Vec<(String, String)>,
    allow_errors: bool,
    id_seed: u32,
    command: Vec<String>,
}

fn parse_args() -> Result<Args, Error> {
    let mut it = std::env::args().skip(1);
    let (mut name, mut event, mut runs, mut warm, mut env, mut command) =
        (None, None, 20, 1000, Vec::new(), Vec::new());
    let mut allow_errors = false;
    let mut id_seed = std::process::id();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" => name = it.next(),
            "--event" => {
                event = Some(std::fs::read_to_string(
                    it.next().ok_or("--event needs a file")?,
                )?);
            }
            "--runs" => runs = it.next().ok_or("--runs needs a number")?.parse()?,
            "--warm" => warm = it.next().ok_or("--warm needs a number")?.parse()?,
            "--env" => {
                let kv = it.next().ok_or("--env needs K=V")?;
                let (k, v) = kv.split_once('=').ok_or("--env needs K=V")?;
                env.push((k.to_string(), v.to_string()));
            }
            "--allow-errors" => allow_errors = true,
            "--id-seed" => id_seed = it.next().ok_or("--id-seed needs a number")?.parse()?,
            "--" => {
                command = it.by_ref().collect();
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(Args {
        name: name.ok_or("--name is required")?,
        event: event.ok_or("--event is required")?,
        runs,
        warm,
        env,
        allow_errors,
        id_seed,
        command: if command.is_empty() {
            return Err("the command follows --".into());
        } else {
            command
        },
    })
}

/// What the host and the function share during one process's life.
#[derive(Default)]
struct State {
    first_next: Option<Instant>,
    /// Events still to hand out.
    pending: Vec<String>,
    /// When each handed-out event left, by request ID.
    sent: BTreeMap<String, Instant>,
    /// Handler times in order of response.
    latencies: Vec<Duration>,
    errors: Vec<String>,
    init_error: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, State> {
    s.state.lock().unwrap_or_else(|p| p.into_inner())
}

fn read_request(r: &mut BufReader<TcpStream>) -> Result<Option<(String, String, Vec<u8>)>, Error> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = v.trim().parse()?,
                "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        r.read_exact(&mut body)?;
    }
    Ok(Some((method, path, body)))
}

fn respond(
    w: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut whole = head.into_bytes();
    whole.extend_from_slice(body);
    w.write_all(&whole)?;
    w.flush()
}

fn serve(stream: TcpStream, shared: Arc<Shared>, counter: Arc<Mutex<u64>>) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    while let Some((method, path, body)) = read_request(&mut r)? {
        let now = Instant::now();
        match (method.as_str(), path.as_str()) {
            ("GET", "/2018-06-01/runtime/invocation/next") => {
                let mut st = lock(&shared);
                st.first_next.get_or_insert(now);
                shared.changed.notify_all();
                // Long poll: wait until there is an event to hand out.
                while st.pending.is_empty() {
                    st = shared.changed.wait(st).unwrap_or_else(|p| p.into_inner());
                }
                let event = st.pending.remove(0);
                let id = {
                    let mut c = counter.lock().unwrap_or_else(|p| p.into_inner());
                    *c += 1;
                    format!("bench-{}-{:08}", std::process::id(), *c)
                };
                st.sent.insert(id.clone(), Instant::now());
                drop(st);
                // The host plays Lambda, whose deadline header comes from its own clock.
                #[allow(clippy::disallowed_methods)]
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() + 60_000)
                    .unwrap_or(0);
                respond(
                    &mut w,
                    "200 OK",
                    &[
                        ("Lambda-Runtime-Aws-Request-Id", id),
                        ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                        ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench".into()),
                        ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0".into()),
                    ],
                    event.as_bytes(),
                )?;
            }
            ("POST", p) if p.starts_with("/2018-06-01/runtime/invocation/") => {
                let rest = p.trim_start_matches("/2018-06-01/runtime/invocation/");
                let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
                let mut st = lock(&shared);
                if let Some(sent) = st.sent.remove(id) {
                    st.latencies.push(now - sent);
                }
                if kind == "error" {
                    st.errors
                        .push(String::from_utf8_lossy(&body).chars().take(300).collect());
                }
                shared.changed.notify_all();
                drop(st);
                respond(&mut w, "202 Accepted", &[], b"{}")?;
            }
            ("POST", "/2018-06-01/runtime/init/error") => {
                lock(&shared).init_error = Some(String::from_utf8_lossy(&body).into_owned());
                shared.changed.notify_all();
                respond(&mut w, "202 Accepted", &[], b"{}")?;
            }
            _ => respond(&mut w, "404 Not Found", &[], b"{}")?,
        }
    }
    Ok(())
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Run {
    init: Duration,
    first: Duration,
    warm_median: Duration,
    warm_p99: Duration,
    peak_rss_kb: u64,
    errors: usize,
    first_error: Option<String>,
}

fn fresh_event(template: &str, seed: u32, n: usize) -> String {
    template.replace(
        "{{id}}",
        &format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            seed,
            n % 0xffff,
            n % 0xfff,
            n % 0xfff,
            n
        ),
    )
}

fn one_run(args: &Args, run: usize) -> Result<Run, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
    });
    {
        let shared = Arc::clone(&shared);
        let counter = Arc::new(Mutex::new(0u64));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (shared, counter) = (Arc::clone(&shared), Arc::clone(&counter));
                std::thread::spawn(move || {
                    let _ = serve(stream, shared, counter);
                });
            }
        });
    }
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..])
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &args.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", args.name),
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in &args.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child: Child = cmd.spawn()?;
    let pid = child.id();
    let result = (|| -> Result<Run, Error> {
        let wait_for = |cond: &dyn Fn(&State) -> bool, what: &str| -> Result<(), Error> {
            let mut st = lock(&shared);
            // Gives up after two minutes without progress, however long the whole run takes.
            let idle = Duration::from_secs(120);
            let mut deadline = Instant::now() + idle;
            while !cond(&st) {
                if let Some(e) = &st.init_error {
                    return Err(format!("{}: init error: {e}", args.name).into());
                }
                let left = deadline
                    .checked_duration_since(Instant::now())
                    .ok_or_else(|| format!("{}: timed out waiting for {what}", args.name))?;
                let (guard, waited) = shared
                    .changed
                    .wait_timeout(st, left)
                    .unwrap_or_else(|p| p.into_inner());
                st = guard;
                if !waited.timed_out() {
                    deadline = Instant::now() + idle;
                }
            }
            Ok(())
        };
        wait_for(&|s| s.first_next.is_some(), "the first /next")?;
        let init = lock(&shared)
            .first_next
            .map(|t| t - started)
            .unwrap_or_default();
        let total = 1 + args.warm;
        {
            let mut st = lock(&shared);
            st.pending = (0..total)
                .map(|n| fresh_event(&args.event, args.id_seed, run * total + n))
                .collect();
            shared.changed.notify_all();
        }
        wait_for(&|s| s.latencies.len() >= total, "the responses")?;
        let st = lock(&shared);
        if !args.allow_errors && !st.errors.is_empty() {
            return Err(format!(
                "{}: every invocation failed, e.g. {}",
                args.name, st.errors[0]
            )
            .into());
        }
        let first = st.latencies[0];
        let mut warm: Vec<Duration> = st.latencies[1..].to_vec();
        warm.sort();
        let q = |p: f64| {
            warm.get(((warm.len() as f64 * p) as usize).min(warm.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        Ok(Run {
            init,
            first,
            warm_median: q(0.5),
            warm_p99: q(0.99),
            peak_rss_kb: peak_rss_kb(pid).unwrap_or(0),
            errors: st.errors.len(),
            first_error: st.errors.first().cloned(),
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn stats(xs: &[f64]) -> serde_json::Value {
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let median = if v.is_empty() { 0.0 } else { v[v.len() / 2] };
    serde_json::json!({"min": v.first(), "median": median, "max": v.last(), "n": v.len()})
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lambda-bench: {e}");
            std::process::exit(2);
        }
    };
    let mut runs = Vec::new();
    let mut errors = 0;
    for i in 0..args.runs {
        match one_run(&args, i) {
            Ok(r) => runs.push(r),
            Err(e) => {
                eprintln!("lambda-bench: run {i}: {e}");
                errors += 1;
                if errors > 2 {
                    std::process::exit(1);
                }
            }
        }
    }
    let ms = |f: &dyn Fn(&Run) -> Duration| {
        runs.iter()
            .map(|r| f(r).as_secs_f64() * 1000.0)
            .collect::<Vec<_>>()
    };
    let report = serde_json::json!({
        "name": args.name,
        "runs": runs.len(),
        "warm_per_run": args.warm,
        "init_ms": stats(&ms(&|r| r.init)),
        "first_invocation_ms": stats(&ms(&|r| r.first)),
        "init_plus_first_ms": stats(&ms(&|r| r.init + r.first)),
        "warm_median_ms": stats(&ms(&|r| r.warm_median)),
        "warm_p99_ms": stats(&ms(&|r| r.warm_p99)),
        "peak_rss_mb": stats(&runs.iter().map(|r| r.peak_rss_kb as f64 / 1024.0).collect::<Vec<_>>()),
        "error_invocations": runs.iter().map(|r| r.errors).sum::<usize>(),
        "first_error": runs.iter().find_map(|r| r.first_error.clone()),
    });
    println!("{report}");
}
