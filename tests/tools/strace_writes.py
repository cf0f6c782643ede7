#!/usr/bin/env python3
"""strace_writes: every path a traced command tree wrote to, for 90_install.sh.

    strace_writes.py LOG [CWD]

LOG is the output of `strace -f -y -o LOG -e trace=%file,%desc,%process CMD` (lines
"PID syscall(...) = RESULT"; -y shows a directory descriptor as N</its/path>). CWD is the
directory CMD started in; children inherit their parent's (clone, fork, vfork). Prints, one per line, each path that a successful call created, opened for
writing, removed, renamed to or from, linked, or changed the mode, owner or times of.
A relative path is joined to its directory descriptor or to the process's working
directory when a chdir/fchdir made that known, else printed as "CWD-RELATIVE:path". Calls that failed (= -1) changed nothing and are skipped.
"""
import re
import sys

# syscall -> indexes (0-based) of its path arguments that it writes.
WRITES = {
    "mkdir": [0], "mkdirat": [1], "rmdir": [0], "unlink": [0], "unlinkat": [1],
    "rename": [0, 1], "renameat": [1, 3], "renameat2": [1, 3], "link": [1],
    "linkat": [3], "symlink": [1], "symlinkat": [2], "chmod": [0], "fchmodat": [1],
    "chown": [0], "lchown": [0], "fchownat": [1], "truncate": [0], "utimensat": [1],
    "utimes": [0], "mknod": [0], "mknodat": [1], "creat": [0],
}
CALL = re.compile(r'^\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)')
# The second half of a call another process's line interrupted (strace -f).
RESUMED = re.compile(r'^\d+\s+<\.\.\. (\w+) resumed>.*\)\s+=\s+(-?\d+)')
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
DIRFD = re.compile(r'\d+<(/[^>]*)>')


def args_of(text):
    """Split strace's argument text at top-level commas."""
    out, depth, cur, quoted, esc = [], 0, "", False, False
    for ch in text:
        if quoted:
            cur += ch
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return out


def path(arg):
    m = STRING.fullmatch(arg)
    return m.group(1) if m else None


def main():
    seen = []
    cwd = {}  # pid -> its working directory, when known
    start = sys.argv[2] if len(sys.argv) > 2 else None
    for line in open(sys.argv[1], errors="replace"):
        pid = line.split()[0] if line.strip() else ""
        r = RESUMED.match(line)
        if r and r.group(1) in ("clone", "clone3", "fork", "vfork") and int(r.group(2)) > 0:
            if pid in cwd:
                cwd[r.group(2)] = cwd[pid]
            continue
        m = CALL.match(line)
        if not m or int(m.group(3)) < 0:
            continue
        if start is not None:
            cwd[pid], start = start, None
        name, args = m.group(1), args_of(m.group(2))
        if name in ("clone", "clone3", "fork", "vfork"):
            if pid in cwd and int(m.group(3)) > 0:
                cwd[m.group(3)] = cwd[pid]
            continue
        if name == "chdir" and path(args[0]) is not None:
            p = path(args[0])
            cwd[pid] = p if p.startswith("/") else cwd.get(pid, "?") + "/" + p
            continue
        if name == "fchdir" and DIRFD.fullmatch(args[0]):
            cwd[pid] = DIRFD.fullmatch(args[0]).group(1)
            continue
        idx = WRITES.get(name, [])
        if name in ("open", "openat"):
            a = 1 if name == "openat" else 0
            flags = args[a + 1] if len(args) > a + 1 else ""
            if re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", flags):
                idx = [a]
        for i in idx:
            p = path(args[i]) if i < len(args) else None
            if p is None:
                continue
            if not p.startswith("/"):
                d = DIRFD.fullmatch(args[i - 1]) if name.endswith("at") or name == "renameat2" else None
                base = d.group(1) if d else cwd.get(pid)
                p = base.rstrip("/") + "/" + p if base and not base.startswith("?") else "CWD-RELATIVE:" + p
            if p not in seen:
                seen.append(p)
    for p in seen:
        print(p)


if __name__ == "__main__":
    main()
