# SPDX-License-Identifier: GPL-2.0
"""Helpers of the host-side tests of make run and make shell: run a
command of the kmbox tree to its end, or drive one on a terminal."""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# A run's limit: a boot takes about 10 s under TCG, 60 s when the host is busy.
LIMIT = 300


class Result:
    """What a command printed (stdout and stderr, \\r removed), its exit
    status and how long it ran."""

    def __init__(self, out, status, secs):
        self.out = out
        self.status = status
        self.secs = secs

    def run_status(self):
        """The status scripts/run.sh reported: "run: exit status N"."""
        m = re.search(r"^run: exit status (\d+)$", self.out, re.M)
        return int(m.group(1)) if m else None


def run(args, stdin=None):
    """Runs @args in the tree with @stdin (bytes) as input: a Result."""
    start = time.monotonic()
    p = subprocess.run(args, cwd=TOP, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=LIMIT,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    out = p.stdout.decode(errors="replace").replace("\r", "")
    return Result(out, p.returncode, time.monotonic() - start)


class Terminal:
    """@args on a new pseudo-terminal of 30 rows and 100 columns."""

    def __init__(self, args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            # A size, as the user's terminal has one.
            fcntl.ioctl(0, termios.TIOCSWINSZ,
                        struct.pack("HHHH", 30, 100, 0, 0))
            os.chdir(TOP)
            os.execvp(args[0], args)
        self.buf = b""
        self.seen = b""

    def _read(self, secs):
        r, _, _ = select.select([self.fd], [], [], secs)
        if not r:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            data = b""
        if not data:
            return False
        data = data.replace(b"\r", b"")
        self.buf += data
        self.seen += data
        return True

    def expect(self, text, secs=LIMIT):
        """Waits for @text (str): what came before it, or raises."""
        want = text.encode()
        end = time.monotonic() + secs
        while want not in self.buf:
            if time.monotonic() > end or not self._read(1):
                raise AssertionError("no %r on the terminal; it showed:\n%s"
                                     % (text, self.seen.decode(errors="replace")))
        i = self.buf.index(want) + len(want)
        before, self.buf = self.buf[:i], self.buf[i:]
        return before.decode(errors="replace")

    def send(self, data):
        os.write(self.fd, data.encode())

    def finish(self, secs=LIMIT):
        """Reads to the end: the exit status."""
        end = time.monotonic() + secs
        while time.monotonic() < end and self._read(1):
            pass
        # The terminal is closed; the command may have some work left.
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        while pid == 0 and time.monotonic() < end:
            time.sleep(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            self.kill()
            raise AssertionError("still running after %d s" % secs)
        os.close(self.fd)
        self.pid = 0
        return os.waitstatus_to_exitcode(status)

    def kill(self):
        """Ends what still runs: the command's whole process group (it
        leads a session of its own), QEMU included."""
        if self.pid:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.pid = 0
