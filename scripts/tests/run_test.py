# SPDX-License-Identifier: GPL-2.0
"""make run: a program linked against libkmbox runs in the guest with its
arguments and exit status, the kernel log of kmbox follows its output,
and TIMEOUT stops a program that blocks, and what it forked."""
import os
import unittest

from vmtool import TOP, run

PROG = os.path.join("scripts", "tests", "runprog.c")


class MakeRun(unittest.TestCase):
    def test_program_with_libkmbox(self):
        """Compiled from .c against the shared libkmbox (no rpath), its
        words as the guest's shell splits them, its exit status."""
        r = run(["make", "-s", "run", "PROG=" + PROG,
                 "ARGS=status 3 plain 'two words' \"$HOME\""])
        self.assertEqual(3, r.run_status(), r.out)
        self.assertNotEqual(0, r.status)    # make reports the failure
        self.assertIn("$ runprog status 3 plain 'two words' \"$HOME\"\n", r.out)
        self.assertIn("runprog: module ABI 1\n", r.out)
        self.assertIn("runprog: word 1 [plain]\n"
                      "runprog: word 2 [two words]\n"
                      "runprog: word 3 [/root]\n", r.out)
        # The tree's library went to the guest's /usr/lib.
        self.assertTrue(os.path.exists(os.path.join(
            TOP, "build/vm-run/root/usr/lib/libkmbox.so.1")))
        # Then the kernel log lines of kmbox: its load message.
        log = r.out.split("---- kernel log lines of kmbox", 1)
        self.assertEqual(2, len(log), r.out)
        self.assertRegex(log[1], r"kmbox: ABI version \d+, /dev/kmbox minor")
        self.assertNotIn("runprog:", log[1])

    def test_timeout_stops_program_and_children(self):
        """A program that waits forever, with a child, both holding a
        mailbox: stopped after TIMEOUT, exit 124, and kmbox unloads."""
        r = run(["make", "-s", "run", "PROG=" + PROG, "ARGS=hold",
                 "TIMEOUT=3"])
        self.assertEqual(124, r.run_status(), r.out)
        self.assertIn("runprog: child ", r.out)
        self.assertIn("runprog: parent ", r.out)
        self.assertIn("run: still running after 3 s (TIMEOUT): stopped\n", r.out)
        self.assertNotIn("FAIL", r.out)     # rmmod worked, no bad log
        # Far from the runner's own timeout (TIMEOUT + 180 s).
        self.assertLess(r.secs, 150)

    def test_readme_walkthrough(self):
        """The README's producer and consumer, as its two commands run
        them: each order gives every job, then the end of the stream."""
        progs = "PROG=examples/producer.c examples/consumer.c"
        for cmd in ("producer; consumer",
                    "consumer & sleep 1; producer; wait"):
            r = run(["make", "-s", "run", progs, "CMD=" + cmd])
            self.assertEqual(0, r.run_status(), r.out)
            # Each program's lines in order; the two may interleave.
            for who, lines in (
                    ("producer", ['sent "job %d"' % i for i in (1, 2, 3)]),
                    ("consumer", ['got "job %d"' % i for i in (1, 2, 3)] +
                     ["end of stream"])):
                said = [ln.split(": ", 1)[1] for ln in r.out.splitlines()
                        if ln.startswith(who + ": ")]
                self.assertEqual(lines, said, r.out)
            self.assertNotIn("FAIL", r.out)

    def test_usage(self):
        """No PROG, a missing one, a bad TIMEOUT: a message, no VM."""
        r = run(["make", "-s", "run"])
        self.assertNotEqual(0, r.status)
        self.assertIn("run: error: no program: make run PROG=path", r.out)
        r = run(["make", "-s", "run", "PROG=no/such/prog"])
        self.assertIn("run: error: no program no/such/prog", r.out)
        r = run(["make", "-s", "run", "PROG=" + PROG, "TIMEOUT=1.5"])
        self.assertIn("TIMEOUT must be a whole number of seconds", r.out)
        self.assertNotIn("booting", r.out)


if __name__ == "__main__":
    unittest.main()
