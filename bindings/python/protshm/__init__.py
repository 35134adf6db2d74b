# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""protshm - protected shared memory, from Python.

A ctypes binding of libprotshm (no compiler needed): named shared-memory
segments of the protshm kernel module (/dev/protshm) whose protection is
enforced per process and per mapping.  See protshm(7) and protshm(3).

    import protshm
    with protshm.Segment.create("demo", 4096) as seg:
        m = seg.map()                   # an mmap.mmap (MAP_SHARED), writable
        m[:5] = b"hello"
        seg.restrict(pid, "r")          # pid's mappings become read-only now
        print(seg.info())

Errors are OSError with the errno of the library (FileNotFoundError,
FileExistsError, PermissionError...).  The library is libprotshm.so.1, or
the path in the environment variable PROTSHM_LIBRARY.
"""
import ctypes
import mmap
import os
from collections import namedtuple

__all__ = ["Segment", "Info", "abi_version", "PROT", "NAME_MAX"]
__version__ = "1.0.0"

#: PROTSHM_PROT_* values by name ("none", "r", "rw")
PROT = {"none": 0, "r": 1, "rw": 3}
NAME_MAX = 64                       # PROTSHM_NAME_MAX, NUL included
RESTRICT_DESCENDANTS = 0x1          # PROTSHM_RESTRICT_DESCENDANTS
RESTRICT_PIDFD = 0x2                # PROTSHM_RESTRICT_PIDFD


class _Info(ctypes.Structure):
    """struct protshm_info of <linux/protshm.h>"""
    _fields_ = [("size", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("name", ctypes.c_uint64), ("id", ctypes.c_uint64),
                ("seg_size", ctypes.c_uint64), ("uid", ctypes.c_uint32),
                ("gid", ctypes.c_uint32), ("mode", ctypes.c_uint32),
                ("ceiling", ctypes.c_uint32), ("fd_prot", ctypes.c_uint32),
                ("nr_attachments", ctypes.c_uint32),
                ("resident", ctypes.c_uint64), ("seg_flags", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32)]


#: what Segment.info() returns; ceiling and fd_prot are "none", "r" or "rw"
Info = namedtuple("Info", "name id size uid gid mode ceiling fd_prot "
                  "nr_attachments resident seg_flags")


def _load():
    lib = ctypes.CDLL(os.environ.get("PROTSHM_LIBRARY", "libprotshm.so.1"),
                      use_errno=True)
    p, i, u, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_size_t
    pp = ctypes.POINTER(ctypes.c_void_p)
    sigs = {
        "protshm_abi_version": (i, []),
        "protshm_create": (i, [ctypes.c_char_p, sz, u, u, pp]),
        "protshm_attach": (i, [ctypes.c_char_p, u, pp]),
        "protshm_from_fd": (i, [i, pp]),
        "protshm_fd": (i, [p]),
        "protshm_restrict": (i, [p, i, u, u]),
        "protshm_info": (i, [p, ctypes.POINTER(_Info), ctypes.c_char_p]),
        "protshm_unlink": (i, [p]),
        "protshm_close": (None, [p]),
        "protshm_strprot": (ctypes.c_char_p, [u]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


_lib = _load()


def _check(ret, what):
    """A negative errno from the library becomes an OSError."""
    if ret < 0:
        raise OSError(-ret, "%s: %s" % (what, os.strerror(-ret)))
    return ret


def _prot(prot):
    if prot not in PROT:
        raise ValueError("prot must be one of %s, not %r" % (list(PROT), prot))
    return PROT[prot]


def abi_version():
    """ABI version of the loaded module (OSError ENOENT if not loaded)."""
    return _check(_lib.protshm_abi_version(), "abi_version")


class Segment:
    """A handle: one file descriptor of /dev/protshm bound to a segment.

    Mappings made by map() are mmap objects of their own: they stay valid
    after close() until they are closed themselves.
    """

    def __init__(self, handle, name):
        self._h = ctypes.c_void_p(handle)
        self.name = name

    @classmethod
    def create(cls, name, size, mode=0o600, prot="rw"):
        """Create segment name of size bytes (a page multiple)."""
        h = ctypes.c_void_p()
        _check(_lib.protshm_create(name.encode(), size, mode, _prot(prot),
                                   ctypes.byref(h)), "create " + name)
        return cls(h.value, name)

    @classmethod
    def attach(cls, name, prot="rw"):
        """Attach to the existing segment name with rights prot."""
        h = ctypes.c_void_p()
        _check(_lib.protshm_attach(name.encode(), _prot(prot),
                                   ctypes.byref(h)), "attach " + name)
        return cls(h.value, name)

    def _handle(self):
        if not self._h:
            raise ValueError("protshm segment handle is closed")
        return self._h

    def fileno(self):
        """The handle's fd (owned by the handle: do not close it)."""
        return _check(_lib.protshm_fd(self._handle()), "fd")

    def map(self, offset=0, length=None, prot="rw"):
        """Map length bytes (default: to the end) at offset, MAP_SHARED.

        Returns an mmap.mmap: writable with prot "rw", slicing and
        memoryview() work on it.  OSError EACCES if prot exceeds the
        handle's rights or the process's ceiling.
        """
        if length is None:
            length = self.info().size - offset
        mprot = {"none": 0, "r": mmap.PROT_READ,
                 "rw": mmap.PROT_READ | mmap.PROT_WRITE}[prot]
        return mmap.mmap(self.fileno(), length, flags=mmap.MAP_SHARED,
                         prot=mprot, offset=offset)

    def restrict(self, pid, prot, descendants=False, pidfd=False):
        """Lower the ceiling of process pid (0: this one) to prot.

        One-way; with descendants=True also the processes forked from it,
        with pidfd=True pid is a pidfd (os.pidfd_open()).
        """
        flags = (RESTRICT_DESCENDANTS if descendants else 0) | \
            (RESTRICT_PIDFD if pidfd else 0)
        _check(_lib.protshm_restrict(self._handle(), pid, _prot(prot), flags),
               "restrict")

    def info(self):
        """The segment and the caller's rights, as an Info."""
        raw, name = _Info(), ctypes.create_string_buffer(NAME_MAX)
        _check(_lib.protshm_info(self._handle(), ctypes.byref(raw), name),
               "info")
        strprot = {v: k for k, v in PROT.items()}
        return Info(name.value.decode(), raw.id, raw.seg_size, raw.uid,
                    raw.gid, raw.mode, strprot.get(raw.ceiling, "invalid"),
                    strprot.get(raw.fd_prot, "invalid"), raw.nr_attachments,
                    raw.resident, raw.seg_flags)

    def unlink(self):
        """Remove the segment's name (mappings and handles keep working)."""
        _check(_lib.protshm_unlink(self._handle()), "unlink")

    def close(self):
        """Close the handle (idempotent)."""
        if self._h:
            _lib.protshm_close(self._h)
            self._h = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if _lib is not None:        # not at interpreter shutdown
            self.close()

    def __repr__(self):
        return "<protshm.Segment %r%s>" % (self.name,
                                           "" if self._h else " closed")
