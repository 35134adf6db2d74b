# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Tests of the protshm Python binding; they need the module loaded."""
import errno
import os
import signal
import unittest

import protshm

PAGE = os.sysconf("SC_PAGE_SIZE")


def seg_name(tag):
    return "py-%s-%d" % (tag, os.getpid())


@unittest.skipUnless(os.path.exists("/dev/protshm"),
                     "needs /dev/protshm (the protshm module loaded)")
class SegmentTest(unittest.TestCase):
    def setUp(self):
        self.seg = protshm.Segment.create(seg_name(self._testMethodName[5:25]),
                                          2 * PAGE)

    def tearDown(self):
        self.seg.unlink()
        self.seg.close()

    def test_abi_version(self):
        self.assertEqual(protshm.abi_version(), 1)

    def test_map_is_writable(self):
        m = self.seg.map()
        m[:5] = b"hello"
        view = memoryview(m)
        view[PAGE] = 7
        self.assertEqual(m[:5], b"hello")
        self.assertEqual(m[PAGE], 7)
        self.assertEqual(len(m), 2 * PAGE)
        view.release()
        m.close()

    def test_attach_shares_pages(self):
        m = self.seg.map()
        m[:3] = b"abc"
        with protshm.Segment.attach(self.seg.name, "r") as other:
            r = other.map(prot="r")
            self.assertEqual(r[:3], b"abc")
            m[:1] = b"x"
            self.assertEqual(r[:3], b"xbc")
            r.close()
        m.close()

    def test_info(self):
        i = self.seg.info()
        self.assertEqual(i.name, self.seg.name)
        self.assertEqual(i.size, 2 * PAGE)
        self.assertEqual((i.uid, i.gid), (os.geteuid(), os.getegid()))
        self.assertEqual(i.mode, 0o600)
        self.assertEqual((i.ceiling, i.fd_prot), ("rw", "rw"))
        self.assertGreaterEqual(i.nr_attachments, 1)

    def test_errors_are_oserror(self):
        with self.assertRaises(FileNotFoundError) as cm:
            protshm.Segment.attach(seg_name("missing"))
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        with self.assertRaises(FileExistsError) as cm:
            protshm.Segment.create(self.seg.name, PAGE)
        self.assertEqual(cm.exception.errno, errno.EEXIST)
        with self.assertRaises(OSError) as cm:
            protshm.Segment.create(seg_name("odd"), PAGE + 1)
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        with self.assertRaises(ValueError):
            protshm.Segment.attach(self.seg.name, "w")

    def test_read_only_handle_cannot_map_writable(self):
        with protshm.Segment.attach(self.seg.name, "r") as ro:
            ro.map(prot="r").close()            # control
            with self.assertRaises(PermissionError) as cm:
                ro.map(prot="rw")
            self.assertEqual(cm.exception.errno, errno.EACCES)

    def test_restrict_self(self):
        self.seg.map(prot="rw").close()         # control
        self.seg.restrict(0, "r")
        self.assertEqual(self.seg.info().ceiling, "r")
        with self.assertRaises(PermissionError):
            self.seg.map(prot="rw")
        self.seg.map(prot="r").close()

    def test_restrict_child_write_faults(self):
        """A child's write faults once the owner restricted it to "r";
        what it wrote before stays, the owner keeps writing."""
        m = self.seg.map()
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            m[:1] = b"c"                        # control: allowed
            os.write(ready_w, b"1")
            os.read(go_r, 1)
            m[1:2] = b"d"                       # must raise SIGSEGV
            os._exit(0)
        os.read(ready_r, 1)
        self.seg.restrict(pid, "r")
        os.write(go_w, b"1")
        _, status = os.waitpid(pid, 0)
        for fd in (ready_r, ready_w, go_r, go_w):
            os.close(fd)
        self.assertTrue(os.WIFSIGNALED(status), "child was not killed")
        self.assertEqual(os.WTERMSIG(status), signal.SIGSEGV)
        self.assertEqual(m[:2], b"c\0")
        m[2:3] = b"o"                           # the owner still writes
        self.assertEqual(m[:3], b"c\0o")
        m.close()


if __name__ == "__main__":
    unittest.main()
