"""Helpers shared by the framework tests: a real `wz serve` on loopback, and a plain check."""

import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def start_service(*flags):
    """Starts `wz serve --judge rules --port 0 FLAGS...`; returns (process, url)."""
    server = subprocess.Popen(
        ["node", os.path.join(ROOT, "bin", "wz.js"), "serve", "--judge", "rules", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = server.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        server.kill()
        raise RuntimeError("wz serve did not start: %r" % line)
    return server, match.group(1)
