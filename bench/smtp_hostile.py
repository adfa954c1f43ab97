"""Load test (issue 10): hostile slow SMTP clients from many loopback addresses against `lae-robot run`, while the
gateway (a trusted peer) and an ordinary sender each deliver their mails; every one must be accepted and filed.

Linux routes all of 127.0.0.0/8 to the loopback interface, so each hostile client binds its socket to its own source
address, 127.(20+p).0.(1+a), spread over `--prefixes` /24 networks. Each keeps a session as long as it is let: most
send NOOP every `--noop-every` seconds, one in four opens a DATA and trickles a line every `--trickle-every` seconds;
a client that is refused or cut connects again after a second, as a botnet would. Meanwhile the gateway (127.250.0.1,
named in `trusted_peers`) and an ordinary sender (127.251.0.1, a network of its own) each deliver `--mails` distinct
fileable certificate mails (tests/e2e/mailbag.py), one connection per mail, retrying after a 421 as an MTA would.

The daemon runs on a temporary installation (folder archive, the bag's case register, the listener's limits at their
defaults except `--session-seconds` and `--data-seconds`, shortened so that the run sees sessions cut and the crowd
reconnect). Printed: mails accepted, mails filed (ledger and /metrics), hostile clients connected / refused / cut (by
the limit the 421 named), wall time, and per legitimate mail the p50/p99 from connect to 250 and to filed.

Run: `make bench-smtp-hostile` or `.venv/bin/python bench/smtp_hostile.py [--hostile 200] [--prefixes 8] [--mails 100]
[--session-seconds 5] [--data-seconds 4] [--warmup 4] [--give-up 300] [--baseline-src DIR] [--keep]`. Exit 0 when
every legitimate mail was accepted and filed, 1 otherwise, 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiosmtplib  # noqa: E402
from daemon import envelope_from, free_port, ms, pct, read_ledger, secs  # noqa: E402  (bench/daemon.py)

from tests.e2e.mailbag import make_bag, with_header  # noqa: E402

SEED = 20261206
GATEWAY, ORDINARY = "127.250.0.1", "127.251.0.1"
RCPT = "lae-robot@localhost"
LIMIT_NAMED = re.compile(r"\((\w+) ")  # the setting a 421 names: "(max_connections_per_prefix 10)"


@dataclass
class Crowd:
    """What the hostile clients saw."""

    connected: int = 0  # sessions open now
    peak: int = 0
    sessions: int = 0  # greeted with 220, in all
    refused: Counter[str] = field(default_factory=Counter)  # 421 before the greeting, by the limit named
    cut: Counter[str] = field(default_factory=Counter)  # 421 in a session, by the limit named
    dropped: int = 0  # closed without a 421 (the idle timeout)


@dataclass
class Sender:
    name: str
    source: str
    mails: list[tuple[str, bytes]]
    accepted: dict[str, tuple[float, float]] = field(default_factory=dict)  # bench id -> (first connect, 250)
    retries: Counter[str] = field(default_factory=Counter)  # by the limit the 421 named
    failed: list[str] = field(default_factory=list)


def limit_of(reply: str) -> str:
    match = LIMIT_NAMED.search(reply)
    return match.group(1) if match else reply[:40]


async def hostile(port: int, source: str, trickle: bool, args: argparse.Namespace, crowd: Crowd,
                  stop: asyncio.Event) -> None:
    """One hostile client: hold a session as long as it is let, then come back."""
    while not stop.is_set():
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
            greeting = (await reader.readline()).decode(errors="replace")
            if not greeting.startswith("220"):
                crowd.refused[limit_of(greeting)] += 1
            else:
                crowd.sessions += 1
                crowd.connected += 1
                crowd.peak = max(crowd.peak, crowd.connected)
                try:
                    await hold(reader, writer, trickle, args, crowd, stop)
                finally:
                    crowd.connected -= 1
        except (OSError, asyncio.IncompleteReadError):
            crowd.dropped += 1
        finally:
            if writer is not None:
                writer.close()
        if not stop.is_set():
            await asyncio.sleep(1.0)


async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, trickle: bool, args: argparse.Namespace,
               crowd: Crowd, stop: asyncio.Event) -> None:
    async def say(line: bytes) -> str:
        writer.write(line + b"\r\n")
        while True:
            answer = (await reader.readline()).decode(errors="replace")
            if len(answer) < 4 or answer[3] != "-":
                return answer

    for line in ((b"EHLO botnet.example", b"MAIL FROM:<x@botnet.example>", b"RCPT TO:<" + RCPT.encode() + b">",
                  b"DATA") if trickle else (b"EHLO botnet.example",)):
        answer = await say(line)
        if answer.startswith("421") or not answer:
            crowd.cut[limit_of(answer)] += bool(answer)
            crowd.dropped += not answer
            return
    n = 0
    while not stop.is_set():
        try:
            answer = (await asyncio.wait_for(reader.readline(), args.trickle_every if trickle else args.noop_every)
                      ).decode(errors="replace")
        except TimeoutError:
            writer.write(b"line %d of a mail that never ends\r\n" % n if trickle else b"NOOP\r\n")
            n += 1
            continue
        if answer.startswith("421"):
            crowd.cut[limit_of(answer)] += 1
            return
        if not answer:
            crowd.dropped += 1
            return


async def legitimate(port: int, sender: Sender, give_up_at: float) -> None:
    """Deliver each mail on its own connection; after a 421 (or a refused connect) try again, as an MTA would, until
    `give_up_at` (time.time())."""
    for bench_id, raw in sender.mails:
        began = time.time()
        for attempt in range(1_000_000):
            if time.time() > give_up_at:
                sender.failed.append(bench_id)
                break
            try:
                client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30, start_tls=False,
                                         source_address=(sender.source, 0), local_hostname="gw.kommune.example")
                async with client:
                    await client.sendmail(envelope_from(raw), [RCPT], raw)
                sender.accepted[bench_id] = (began, time.time())
                break
            except aiosmtplib.SMTPException as error:
                sender.retries[limit_of(str(error))] += 1
                await asyncio.sleep(min(0.05 * 2 ** attempt, 1.0))


def ledger_outcomes(ledger: Path) -> dict[str, tuple[bool, float | None]]:
    """bench id -> (every document filed, when the last was filed)."""
    db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=10)
    try:
        return {t.bench_id: (t.all_filed, max(t.filed) if t.filed else None)
                for t in read_ledger(db).values() if t.bench_id}
    finally:
        db.close()


def metric(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name)]


async def run(args: argparse.Namespace, work: Path) -> int:
    print(f"generating {2 * args.mails} distinct fileable mails (tests/e2e/mailbag.py, seed {SEED}) ...", flush=True)
    bag = make_bag(work / "bag", seed=SEED, generated=int(2 * args.mails * 1.8) + 20, sample_copies=0)
    filed_files = [f for f in bag.files
                   if all(e.outcome == "filed" for (file, _), e in bag.expected.items() if file == f)]
    if len(filed_files) < 2 * args.mails:
        print(f"only {len(filed_files)} fileable mails in the bag", file=sys.stderr)
        return 2
    raws = [(f"h{index:04d}", with_header((work / file).read_bytes(), f"X-Bench-Id: h{index:04d}"))
            for index, file in enumerate(filed_files[:2 * args.mails])]
    (work / "var" / "archive").mkdir(parents=True)
    bag.write_register(work / "var" / "cases.csv")
    smtp_port, observe_port = free_port(), free_port()
    limits = "" if args.baseline_src else (
        f"session_seconds = {args.session_seconds}\ndata_seconds = {args.data_seconds}\n"
        f'trusted_peers = ["{GATEWAY}"]\n')
    (work / "robot.toml").write_text(
        f'[logging]\nformat = "json"\nlevel = "INFO"\n[rules]\ndir = "{ROOT / "rules"}"\n'
        f"[observe]\nport = {observe_port}\n[schedule]\nsweep_seconds = 1.0\n"
        f'[ingress.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\naccept_recipients = ["@localhost"]\n{limits}',
        encoding="utf-8")
    if args.baseline_src:
        print(f"baseline: the daemon of {args.baseline_src} with its listener's defaults", flush=True)
    else:
        print("listener limits: defaults (max_connections 100, reserved_connections 10, max_connections_per_prefix "
              "10, max_connections_per_client 5, max_noops_per_session 20, timeout_seconds 60) and\n  "
              + limits.strip().replace("\n", ", "), flush=True)
    log = (work / "daemon.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(args.baseline_src), "PYTHONDONTWRITEBYTECODE": "1"} if args.baseline_src \
        else None
    daemon = subprocess.Popen([sys.executable, "-m", "robot", "--config", str(work / "robot.toml"), "run"],
                              cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        return await measure(args, work, daemon, smtp_port, observe_port, raws)
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
        log.close()


async def measure(args: argparse.Namespace, work: Path, daemon: subprocess.Popen[bytes], smtp_port: int,
                  observe_port: int, raws: list[tuple[str, bytes]]) -> int:
    def get(path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{observe_port}{path}", timeout=5) as answer:
            return str(answer.read().decode())

    deadline = time.monotonic() + 60
    while True:
        if daemon.poll() is not None or time.monotonic() > deadline:
            print("the daemon did not start:\n" + (work / "daemon.log").read_text(errors="replace")[-3000:],
                  file=sys.stderr)
            return 2
        try:
            get("/healthz")
            break
        except OSError:
            await asyncio.sleep(0.1)

    crowd, stop = Crowd(), asyncio.Event()
    addresses = [(f"127.{20 + p}.0.{1 + a}", a % 4 == 3) for a in range(-(-args.hostile // args.prefixes))
                 for p in range(args.prefixes)][:args.hostile]
    clients = [asyncio.create_task(hostile(smtp_port, source, trickle, args, crowd, stop))
               for source, trickle in addresses]
    await asyncio.sleep(args.warmup)
    print(f"{args.hostile} hostile clients over {args.prefixes} /24 networks after {args.warmup:g} s: "
          f"{crowd.connected} connected, {sum(crowd.refused.values())} refusals so far", flush=True)

    senders = [Sender("gateway (trusted peer)", GATEWAY, raws[:args.mails]),
               Sender("ordinary sender, own /24", ORDINARY, raws[args.mails:])]
    began = time.time()
    await asyncio.gather(*(legitimate(smtp_port, sender, began + args.give_up) for sender in senders))
    delivered = time.time()
    connected_at_end_of_delivery = crowd.connected
    wanted = {bench_id for sender in senders for bench_id in sender.accepted}
    outcomes: dict[str, tuple[bool, float | None]] = {}
    while time.time() < delivered + 120:
        outcomes = ledger_outcomes(work / "var" / "ledger.sqlite3")
        if all(outcomes.get(b, (False, None))[1] is not None for b in wanted):
            break
        await asyncio.sleep(0.2)
    done = time.time()
    stop.set()
    metrics = get("/metrics")
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)

    print(f"\nwall time: {secs(done - began)} from the first legitimate connect to the last mail filed "
          f"(delivery {secs(delivered - began)})")
    print(f"hostile: {connected_at_end_of_delivery} connected when delivery ended (peak {crowd.peak}); "
          f"{crowd.sessions} sessions in all; refused {sum(crowd.refused.values())} "
          f"{dict(crowd.refused.most_common())}; cut {sum(crowd.cut.values())} {dict(crowd.cut.most_common())}; "
          f"dropped without 421 {crowd.dropped}")
    ok = True
    print("\n| sender | mails | accepted | filed | 421 retries | connect→250 p50 / p99 | connect→filed p50 / p99 |")
    print("|---|---|---|---|---|---|---|")
    for sender in senders:
        to_250 = [end - start for start, end in sender.accepted.values()]
        to_filed = [when - sender.accepted[b][0] for b in sender.accepted
                    if (when := outcomes.get(b, (False, None))[1]) is not None]
        filed = sum(1 for b in sender.accepted if outcomes.get(b, (False, None))[0])
        retries = ", ".join(f"{n} {limit}" for limit, n in sender.retries.most_common()) or "0"
        print(f"| {sender.name} | {len(sender.mails)} | {len(sender.accepted)} | {filed} | {retries} | "
              f"{ms(pct(to_250, 50))} / {ms(pct(to_250, 99))} | {ms(pct(to_filed, 50))} / {ms(pct(to_filed, 99))} |")
        ok = ok and len(sender.accepted) == filed == len(sender.mails)
    print("\n/metrics:")
    for line in (*metric(metrics, "lae_filed_total"), *metric(metrics, 'lae_received_total{source="smtp"}'),
                 *metric(metrics, "lae_smtp_limited_total{")):
        print("  " + line)
    print("\nevery legitimate mail accepted and filed" if ok else "\nNOT every legitimate mail was accepted and filed")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hostile", type=int, default=200)
    parser.add_argument("--prefixes", type=int, default=8, help="/24 networks the hostile clients come from")
    parser.add_argument("--mails", type=int, default=100, help="per legitimate sender")
    parser.add_argument("--noop-every", type=float, default=3.0)
    parser.add_argument("--trickle-every", type=float, default=2.0)
    parser.add_argument("--session-seconds", type=float, default=5.0)
    parser.add_argument("--data-seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds the crowd has before delivery starts")
    parser.add_argument("--give-up", type=float, default=300.0, help="seconds the legitimate senders keep trying")
    parser.add_argument("--baseline-src", type=Path, help="run the daemon from this source tree (e.g. an export of "
                        "the code before issue 10: `git archive main | tar -x -C DIR`), with no new settings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary installation")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lae-smtp-hostile-"))
    try:
        return asyncio.run(run(args, work))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
