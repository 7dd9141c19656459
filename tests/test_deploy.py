"""The files in deploy/ are checked by the tools that will read them: the systemd unit by
`systemd-analyze verify`, the nginx site by `nginx -t`, the log rotation by `logrotate
--debug`, the backup script by a real dump of a PostgreSQL database that pg_restore reads.
Each skips, saying why, on a machine without the tool (scripts/test-setup.sh installs them).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.is_file()), None
    )
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/test-setup.sh installs it)")
    return found


def test_the_systemd_unit_verifies(tmp_path):
    analyze = _tool("systemd-analyze")
    unit = tmp_path / "chatbot.service"
    chatbot = Path(sys.executable).with_name("chatbot")  # the installed command, as in /opt
    text = (DEPLOY / "chatbot.service").read_text()
    assert "ExecStart=/opt/chatbot/venv/bin/chatbot serve --config /etc/chatbot/config.yml" in text
    unit.write_text(text.replace("/opt/chatbot/venv/bin/chatbot", str(chatbot)))
    run = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    if "Failed to initialize" in run.stderr or "System has not been booted" in run.stderr:
        pytest.skip(f"systemd-analyze cannot run in this container: {run.stderr.strip()}")
    # verify exits 0 on warnings too ("Unknown key", "Failed to parse"): none allowed
    assert (run.returncode, run.stderr.strip(), run.stdout.strip()) == (0, "", "")
    assert "KillSignal=SIGTERM" in text and "TimeoutStopSec=30" in text


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = _tool("nginx")
    openssl = _tool("openssl")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=chat.your-shop.example", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx-chatbot.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/chat.your-shop.example/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events {}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}; "
        f"include {tmp_path}/site.conf; }}\n"
    )
    run = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "syntax is ok" in run.stderr and "[emerg]" not in run.stderr


def test_the_log_rotation_parses(tmp_path):
    import grp
    import os
    import pwd

    logrotate = _tool("logrotate")
    text = (DEPLOY / "logrotate-chatbot").read_text()
    assert "su chatbot chatbot" in text  # the service's user; this machine has none: ours
    me = f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}"
    (tmp_path / "chatbot").write_text(text.replace("su chatbot chatbot", f"su {me}"))
    run = subprocess.run(
        [logrotate, "--debug", "--state", str(tmp_path / "state"), str(tmp_path / "chatbot")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "error" not in run.stderr.lower(), run.stderr
    assert "rotating pattern: /var/log/chatbot/*.log" in run.stderr


def test_the_backup_script_dumps_a_database_pg_restore_reads(tmp_path, pg_url):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    url = sa.make_url(pg_url).set(drivername="postgresql")
    env = {
        "PATH": f"{Path(pg_dump).parent}:/usr/bin:/bin",
        "CHATBOT_DB": url.render_as_string(hide_password=False),
        "CHATBOT_BACKUPS": str(tmp_path),
    }
    run = subprocess.run(
        ["bash", str(DEPLOY / "backup-postgres.sh")], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    (dump,) = tmp_path.glob("chatbot-*.dump")
    listing = subprocess.run(
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0, listing.stderr
