# SPDX-License-Identifier: LGPL-2.1-or-later
# probe.py: the same escape attempts as probe.c, through ctypes, for hosts
# without a C compiler. escape.sh prepends a #! line naming /usr's python3.
# Output format and modes: see probe.c. System call numbers are known for
# x86_64 and aarch64; elsewhere the modes that need them say so.
import ctypes
import errno
import os
import platform
import socket
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

NR = {
    "x86_64": dict(init_module=175, finit_module=313, delete_module=176, bpf=321,
                   perf_event_open=298, userfaultfd=323, add_key=248, request_key=249,
                   keyctl=250, kexec_load=246, reboot=169, swapon=167, acct=163, syslog=103,
                   open_by_handle_at=304, fsopen=430, open_tree=428, process_vm_readv=310,
                   ioctl=16, ptrace=101, mount=165, umount2=166),
    "aarch64": dict(init_module=105, finit_module=273, delete_module=106, bpf=280,
                    perf_event_open=241, userfaultfd=282, add_key=217, request_key=218,
                    keyctl=219, kexec_load=104, reboot=142, swapon=224, acct=89, syslog=116,
                    open_by_handle_at=265, fsopen=430, open_tree=428, process_vm_readv=270,
                    ioctl=29, ptrace=117, mount=40, umount2=39),
}.get(platform.machine())

L = ctypes.c_long
UL = ctypes.c_ulong


def sc(name, *args):
    """Returns (result, errno); (-1, ENOSYS) when the number is unknown."""
    if not NR or name not in NR:
        return -1, errno.ENOSYS
    ctypes.set_errno(0)
    r = libc.syscall(L(NR[name]), *args)
    return r, ctypes.get_errno()


def ename(e):
    return errno.errorcode.get(e, str(e))


def denied(what, e):
    print("DENIED %s: %s" % (what, ename(e)))


def verdict(what, r, e):
    if r >= 0:
        print("ESCAPED %s: succeeded (returned %d)" % (what, r))
    else:
        denied(what, e)


def verdict_perm(what, r, e):
    if r >= 0:
        print("ESCAPED %s: succeeded (returned %d)" % (what, r))
    elif e in (errno.EPERM, errno.EACCES, errno.ENOSYS):
        denied(what, e)
    else:
        print("ESCAPED %s: passed the permission check (%s)" % (what, ename(e)))


def closefd(r):
    if r >= 0:
        os.close(r)


def b(s):
    return ctypes.c_char_p(s.encode())


def do_ptrace(pid):
    r, e = sc("ptrace", L(16), L(pid), None, None)  # PTRACE_ATTACH
    if r == 0:
        os.waitpid(pid, 0x40000000)  # __WALL
        sc("ptrace", L(17), L(pid), None, None)  # PTRACE_DETACH
    verdict("PTRACE_ATTACH", r, e)
    buf = ctypes.create_string_buffer(16)
    local = struct.pack("PN", ctypes.addressof(buf), 16)
    remote = struct.pack("PN", 0x400000, 16)
    lb, rb = ctypes.create_string_buffer(local), ctypes.create_string_buffer(remote)
    r, e = sc("process_vm_readv", L(pid), lb, UL(1), rb, UL(1), UL(0))
    if r < 0 and e in (errno.EFAULT, errno.EIO):
        print("ESCAPED process_vm_readv: reached the process (%s)" % ename(e))
    else:
        verdict("process_vm_readv", r, e)
    try:
        os.kill(pid, 0)
        verdict("kill -0", 0, 0)
    except OSError as ex:
        verdict("kill -0", -1, ex.errno)


def try_socket(name, fam, typ, proto=0):
    try:
        s = socket.socket(fam, typ, proto)
        s.close()
        verdict(name, 0, 0)
    except OSError as ex:
        denied(name, ex.errno)


def do_rawsock():
    try_socket("socket(AF_INET, SOCK_RAW, ICMP)", socket.AF_INET, socket.SOCK_RAW, 1)
    try_socket("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)", socket.AF_INET, socket.SOCK_RAW, 255)
    try_socket("socket(AF_INET6, SOCK_RAW, ICMPV6)", socket.AF_INET6, socket.SOCK_RAW, 58)
    try_socket("socket(AF_PACKET, SOCK_RAW)", 17, socket.SOCK_RAW, 0x0300)
    try_socket("socket(AF_PACKET, SOCK_DGRAM)", 17, socket.SOCK_DGRAM, 0x0300)


def do_families():
    try_socket("socket(AF_VSOCK)", 40, socket.SOCK_STREAM)
    try_socket("socket(AF_ALG)", 38, socket.SOCK_SEQPACKET)
    try_socket("socket(AF_KEY)", 15, socket.SOCK_RAW, 2)
    try_socket("socket(AF_XDP)", 44, socket.SOCK_RAW)
    try_socket("socket(AF_BLUETOOTH)", 31, socket.SOCK_RAW)


def do_module():
    image = b"\x7fELF not a module\0"
    r, e = sc("init_module", ctypes.c_char_p(image), UL(len(image)), b(""))
    verdict_perm("init_module", r, e)
    fd = os.open("/dev/null", os.O_RDONLY)
    r, e = sc("finit_module", L(fd), b(""), L(0))
    verdict_perm("finit_module", r, e)
    os.close(fd)
    r, e = sc("delete_module", b("ccsb_escape_no_such_module"), L(os.O_NONBLOCK))
    verdict_perm("delete_module", r, e)


def in_sandbox():
    try:
        with open("/proc/1/cmdline", "rb") as f:
            return f.read().split(b"\0")[0] == b"/run/ccsb/exec"
    except OSError:
        return False


def do_mount(d):
    # Remounting or detaching /usr would change a real system: only in the
    # sandbox, where success is the escape being tested.
    if not in_sandbox():
        print("INFO mount: not in a ccsb sandbox, nothing attempted")
        return
    r, e = sc("mount", b("ccsb-probe"), b(d), b("tmpfs"), UL(0), b("size=4k"))
    verdict("mount tmpfs on %s" % d, r, e)
    if r == 0:
        sc("umount2", b(d), L(2))
    r, e = sc("mount", b("/usr"), b(d), None, UL(4096), None)  # MS_BIND
    verdict("bind-mount /usr on %s" % d, r, e)
    if r == 0:
        sc("umount2", b(d), L(2))
    r, e = sc("mount", None, b("/usr"), None, UL(32 | 4096), None)  # MS_REMOUNT|MS_BIND
    verdict("remount /usr read-write", r, e)
    r, e = sc("umount2", b("/usr"), L(2))
    verdict("umount /usr", r, e)
    r, e = sc("fsopen", b("tmpfs"), L(0))
    verdict("fsopen(tmpfs)", r, e)
    closefd(r)
    r, e = sc("open_tree", L(-100), b("/usr"), L(1 | os.O_CLOEXEC))
    verdict("open_tree(/usr, CLONE)", r, e)
    closefd(r)


def do_kernel():
    attr = ctypes.create_string_buffer(struct.pack("IIII", 2, 4, 4, 1).ljust(128, b"\0"))
    r, e = sc("bpf", L(0), attr, L(128))  # BPF_MAP_CREATE, BPF_MAP_TYPE_ARRAY
    verdict("bpf(BPF_MAP_CREATE)", r, e)
    closefd(r)
    # type SOFTWARE, size, config TASK_CLOCK; flags: disabled|exclude_kernel|exclude_hv
    pa = struct.pack("IIQQQQQ", 1, 128, 1, 0, 0, 0, 1 | 1 << 5 | 1 << 6).ljust(128, b"\0")
    r, e = sc("perf_event_open", ctypes.create_string_buffer(pa), L(0), L(-1), L(-1), UL(0))
    verdict("perf_event_open(self)", r, e)
    closefd(r)
    r, e = sc("userfaultfd", L(os.O_CLOEXEC))
    verdict("userfaultfd", r, e)
    closefd(r)
    r, e = sc("userfaultfd", L(os.O_CLOEXEC | 1))
    verdict("userfaultfd(UFFD_USER_MODE_ONLY)", r, e)
    closefd(r)
    r, e = sc("add_key", b("user"), b("ccsb-probe"), b("x"), UL(1), L(-2))
    verdict("add_key", r, e)
    r, e = sc("keyctl", L(0), L(-3), L(0))
    verdict("keyctl(GET_KEYRING_ID, session)", r, e)
    r, e = sc("request_key", b("user"), b("ccsb-probe-none"), None, L(0))
    verdict_perm("request_key", r, e)
    r, e = sc("kexec_load", UL(0), UL(0), None, UL(0xffff0000))
    verdict_perm("kexec_load", r, e)
    r, e = sc("reboot", L(0), L(0), L(0), None)
    verdict_perm("reboot", r, e)
    r, e = sc("swapon", b("/ccsb-escape-no-such-file"), L(0))
    verdict_perm("swapon", r, e)
    r, e = sc("acct", b("/ccsb-escape-no-such-file"))
    verdict_perm("acct", r, e)
    log = ctypes.create_string_buffer(64)
    r, e = sc("syslog", L(3), log, L(64))
    verdict("syslog(READ_ALL) (kernel log)", r, e)
    fh = ctypes.create_string_buffer(struct.pack("Ii8B", 8, 1, 2, 0, 0, 0, 0, 0, 0, 0))
    root = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    r, e = sc("open_by_handle_at", L(root), fh, L(os.O_RDONLY))
    verdict_perm("open_by_handle_at", r, e)
    closefd(r)
    os.close(root)


def do_keyread(desc):
    kid, e = sc("request_key", b("user"), b(desc), None, L(0))
    if kid < 0:
        denied("find the caller's key (request_key)", e)
        return
    buf = ctypes.create_string_buffer(256)
    n, e = sc("keyctl", L(11), L(kid), buf, L(255))
    if n < 0:
        print("INFO request_key: found key %d" % kid)
        denied("read the caller's key", e)
        return
    print("ESCAPED read the caller's session key %s: payload '%s'"
          % (desc, buf.raw[:min(n, 255)].decode(errors="replace")))


def do_keyexec(desc, payload, cmd):
    r, e = sc("keyctl", L(1), None)
    if r >= 0:
        r, e = sc("add_key", b("user"), b(desc), b(payload), UL(len(payload)), L(-3))
    if r < 0:
        sys.stderr.write("probe keyexec: %s\n" % os.strerror(e))
        sys.exit(2)
    os.execvp(cmd[0], cmd)


def do_tiocsti(text):
    import termios
    fds = [(0, "fd 0"), (1, "fd 1"), (2, "fd 2")]
    try:
        fds.append((os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY), "/dev/tty"))
    except OSError as ex:
        print("INFO open /dev/tty: %s" % ename(ex.errno))
    for fd, name in fds:
        if not os.isatty(fd):
            print("INFO %s: not a terminal" % name)
            continue
        for cmd, what in ((termios.TIOCSTI, "TIOCSTI on %s"),
                          (termios.TIOCSTI | 1 << 32, "TIOCSTI|1<<32 on %s")):
            r, e = 0, 0
            for ch in text.encode():
                c = ctypes.c_char(ch)
                r, e = sc("ioctl", L(fd), UL(cmd), ctypes.byref(c))
                if r < 0:
                    break
            verdict(what % name, r, e)


def do_ids():
    r, e, s = os.getresuid()
    out = "uid=%d euid=%d suid=%d " % (r, e, s)
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("CapEff", "CapPrm", "NoNewPrivs", "Seccomp"):
                out += "%s=%s " % (k, v.strip())
    print(out)


def main(a):
    if len(a) < 1:
        sys.exit(2)
    m = a[0]
    if not NR and m in ("module", "mount", "kernel", "keyread", "keyexec", "tiocsti", "ptrace"):
        # No verdict at all: escape.sh then reports the probe as not run.
        print("INFO unknown architecture %s: system calls not attempted" % platform.machine())
        sys.exit(0)
    if m == "ptrace" and len(a) == 2:
        do_ptrace(int(a[1]))
    elif m == "rawsock":
        do_rawsock()
    elif m == "families":
        do_families()
    elif m == "module":
        do_module()
    elif m == "mount" and len(a) == 2:
        do_mount(a[1])
    elif m == "kernel":
        do_kernel()
    elif m == "keyread" and len(a) == 2:
        do_keyread(a[1])
    elif m == "keyexec" and len(a) >= 4:
        do_keyexec(a[1], a[2], a[3:])
    elif m == "tiocsti" and len(a) == 2:
        do_tiocsti(a[1])
    elif m == "ids":
        do_ids()
    else:
        sys.stderr.write("usage: see probe.c\n")
        sys.exit(2)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main(sys.argv[1:])
