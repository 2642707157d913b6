# SPDX-License-Identifier: GPL-2.0
"""make shell: commands on standard input (no terminal) run in the
guest, with kmbox, kmboxctl and the examples there; on a terminal, an
interactive shell where Ctrl-C stops the foreground job and Ctrl-D at
the prompt powers off."""
import time
import unittest

from vmtool import Terminal, run

COMMANDS = b"""kmboxctl create box
kmboxctl send box first second
kmboxctl recv --count 2 box | sed 's/^/got: /'
version
kmboxctl recv box &
sleep 1
echo "last: $(cat /sys/module/kmbox/refcnt | sed 's/^0$/free/')"
exit 7"""


class MakeShell(unittest.TestCase):
    def test_commands_on_stdin(self):
        """Each command's output only (no echo, no prompt), the shell's
        exit status; what is left running is killed so kmbox unloads."""
        r = run(["scripts/shell.sh"], stdin=COMMANDS)
        self.assertEqual(7, r.status, r.out)
        self.assertIn("got: first\ngot: second\n", r.out)
        self.assertIn("kmbox module ABI 1, this program was built for ABI 1: "
                      "compatible\n", r.out)
        # The receiver left waiting in the background held the module.
        self.assertIn("last: ", r.out)
        self.assertNotIn("last: free", r.out)
        self.assertNotIn("kmboxctl send", r.out)    # not echoed
        self.assertNotIn("# ", r.out)               # no prompt
        self.assertNotIn("FAIL", r.out)              # rmmod worked

    def test_no_input(self):
        """An empty input: the shell ends at once, status 0."""
        r = run(["make", "-s", "shell"], stdin=b"")
        self.assertEqual(0, r.status, r.out)
        self.assertIn("kmbox-shell: ready", r.out)

    def test_terminal(self):
        """Prompt, the terminal's size, Ctrl-C, Ctrl-D."""
        t = Terminal(["make", "-s", "shell"])
        self.addCleanup(t.kill)
        t.expect("kmbox-vm:/root# ")
        t.send("stty size; echo $((6 * 7))\r")
        self.assertIn("\n30 100\n42\n", t.expect("kmbox-vm:/root# "))
        start = time.monotonic()
        t.send("sleep 500\r")
        t.expect("sleep 500\n")     # echoed: the shell has the line
        time.sleep(2)
        t.send("\x03")
        t.expect("kmbox-vm:/root# ")
        self.assertLess(time.monotonic() - start, 100)
        t.send("echo status $?\r")
        self.assertIn("\nstatus 130\n", t.expect("kmbox-vm:/root# "))
        t.send("\x04")
        self.assertEqual(0, t.finish())


if __name__ == "__main__":
    unittest.main()
