# SPDX-License-Identifier: GPL-2.0
"""make install and the examples' run path, on the host: kmbox.pc follows
PREFIX, LIBDIR and INCLUDEDIR; ldconfig runs (or is asked for) when
installing into the live system and not with DESTDIR; the examples find
the tree's libkmbox.so.1 without LD_LIBRARY_PATH; a plain make builds no
selftest."""
import os
import re
import subprocess
import tempfile
import unittest

from vmtool import TOP, run


def pc_vars(path):
    """The variables of pkg-config file @path."""
    with open(path) as f:
        return dict(re.findall(r"^(\w+)=(.*)$", f.read(), re.M))


class Install(unittest.TestCase):
    def test_destdir_follows_prefix_and_libdir(self):
        with tempfile.TemporaryDirectory() as dest:
            r = run(["make", "-s", "install", "DESTDIR=" + dest,
                     "PREFIX=/usr", "LIBDIR=/usr/lib/x86_64-linux-gnu"])
            self.assertEqual(0, r.status, r.out)
            self.assertNotIn("ldconfig", r.out)
            lib = dest + "/usr/lib/x86_64-linux-gnu"
            v = pc_vars(lib + "/pkgconfig/kmbox.pc")
            self.assertEqual("/usr", v["prefix"])
            self.assertEqual("/usr/lib/x86_64-linux-gnu", v["libdir"])
            self.assertEqual("/usr/include", v["includedir"])
            self.assertEqual("libkmbox.so.1", os.readlink(lib + "/libkmbox.so"))
            self.assertTrue(os.path.isfile(lib + "/libkmbox.so.1"))
            self.assertTrue(os.path.isfile(dest + "/usr/include/kmbox.h"))
            self.assertTrue(os.path.isfile(dest + "/usr/bin/kmboxctl"))
            self.assertTrue(os.path.isfile(
                dest + "/usr/share/man/man3/kmbox_features.3"))

    def test_live_system_runs_ldconfig(self):
        """No DESTDIR: ldconfig (as root), and a note for a LIBDIR the
        loader does not search."""
        with tempfile.TemporaryDirectory() as prefix:
            r = run(["make", "-s", "install", "PREFIX=" + prefix])
            self.assertEqual(0, r.status, r.out)
            self.assertEqual(prefix, pc_vars(prefix + "/lib/pkgconfig/kmbox.pc")["prefix"])
            if os.getuid() == 0:
                self.assertNotIn("not root", r.out)
            else:
                self.assertIn("not root: run ldconfig as root", r.out)
            self.assertIn("libkmbox: %s/lib is not among the loader's folders"
                          % prefix, r.out)

    def test_examples_find_libkmbox(self):
        r = run(["make", "-s", "examples"])
        self.assertEqual(0, r.status, r.out)
        prog = os.path.join(TOP, "examples", "version")
        dyn = subprocess.run(["readelf", "-d", prog], stdout=subprocess.PIPE,
                             check=True).stdout.decode()
        self.assertRegex(dyn, r"(RUNPATH|RPATH).*\[\$ORIGIN/\.\./userlib\]")
        env = dict(os.environ)
        env.pop("LD_LIBRARY_PATH", None)
        ldd = subprocess.run(["ldd", prog], stdout=subprocess.PIPE, env=env,
                             check=True).stdout.decode()
        m = re.search(r"libkmbox\.so\.1 => (\S+)", ldd)
        self.assertIsNotNone(m, ldd)
        self.assertTrue(os.path.samefile(m.group(1),
                                         os.path.join(TOP, "userlib", "libkmbox.so.1")))

    def test_plain_make_builds_no_selftest(self):
        r = run(["make", "-n", "all"])
        self.assertEqual(0, r.status, r.out)
        self.assertIn("userlib", r.out)
        self.assertIn("kmboxctl", r.out)
        self.assertIn("M=" + TOP, r.out)
        self.assertNotIn("selftests", r.out)


if __name__ == "__main__":
    unittest.main()
