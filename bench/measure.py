#!/usr/bin/env python3
"""measure.py - run one command and report what it cost, as one TSV line:

    wall_ms  exit  maxrss_kb  rchar  wchar  read_bytes  write_bytes  syscr  syscw

maxrss_kb is the peak RSS of the command and its waited-for children (the
figure /usr/bin/time -v calls "Maximum resident set size"). The I/O counters
come from /proc/PID/io of the command's own process (Linux task I/O
accounting: rchar/wchar are bytes passed to read/write calls, read_bytes/
write_bytes what reached the storage layer); they are read after the process
has exited but before it is reaped (waitid WNOWAIT), so nothing is missed.
They include the I/O of the children the command waited for (the kernel
adds a reaped child's counters to its parent's), so a shell pipeline counts.

usage: measure.py [-o FILE] CMD [ARG...]   (the line goes to FILE or stderr;
the command's own stdout and stderr pass through)
"""
import os
import sys
import time


def io_counters(pid):
    vals = {}
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                key, _, value = line.partition(":")
                vals[key.strip()] = int(value)
    except OSError:
        pass
    return [vals.get(k, -1) for k in ("rchar", "wchar", "read_bytes", "write_bytes", "syscr", "syscw")]


def main(argv):
    out = None
    if len(argv) > 2 and argv[1] == "-o":
        out, argv = argv[2], argv[2:]
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[1], argv[1:])
        finally:
            os._exit(127)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    wall_ms = int((time.monotonic() - start) * 1000)
    io = io_counters(pid)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    line = "\t".join(str(x) for x in [wall_ms, code, usage.ru_maxrss] + io) + "\n"
    if out:
        with open(out, "w") as f:
            f.write(line)
    else:
        sys.stderr.write(line)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
