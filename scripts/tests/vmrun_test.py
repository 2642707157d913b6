# SPDX-License-Identifier: GPL-2.0
"""scripts/vm-run.sh: a kernel that panics while it boots, before the
guest's init runs, is booted again (three boots in all); a panic once
the guest runs, kmbox.ko loaded, is a failure at once."""
import os
import shutil
import unittest

from vmtool import TOP, run

OUT = os.path.join(TOP, "build", "vm-vmrun-test")


def vm_run(append, cmd):
    """scripts/vm-run.sh on the stock kernel, @append on its command line."""
    shutil.rmtree(OUT, ignore_errors=True)
    return run(["env", "VM_OUT=" + OUT, "VM_APPEND=" + append,
                "scripts/vm-run.sh", "-k", "stock", "--", cmd])


class BootRetry(unittest.TestCase):
    def test_panic_before_init_boots_again(self):
        """No init to run (rdinit=/nope): the kernel panics at each of
        three boots, then the run fails, exit 125, naming the panic."""
        r = vm_run("rdinit=/nope", "true")
        self.assertEqual(125, r.status, r.out)
        self.assertEqual(3, r.out.count("vm-run: booting stock kernel"),
                         r.out)
        self.assertEqual(2, r.out.count("panicked while booting, before "
                                        "kmbox.ko was loaded"), r.out)
        self.assertIn("vm-run: FAIL: kernel panic: ", r.out)
        for n in (1, 2):
            self.assertTrue(os.path.exists(
                os.path.join(OUT, "console-boot%d.log" % n)))

    def test_panic_in_the_command_is_not_retried(self):
        """A panic the command causes (sysrq c) fails the run at once."""
        r = vm_run("", "echo c > /proc/sysrq-trigger")
        self.assertEqual(125, r.status, r.out)
        self.assertEqual(1, r.out.count("vm-run: booting stock kernel"),
                         r.out)
        self.assertIn("vm-run: FAIL: kernel panic: ", r.out)


if __name__ == "__main__":
    unittest.main()
