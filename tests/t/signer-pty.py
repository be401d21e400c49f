# signer-pty.py "CMD ARGS" "ANSWER1,ANSWER2": runs CMD on a pseudo-terminal,
# typing each answer after each prompt (output ending in ": "; "-" for no
# answers); prints what the terminal showed and exits with CMD's exit
# status. For the tests of passphrases read from /dev/tty with echo off.
#
# Answers are typed only once their prompt is on screen: typed earlier they
# would be discarded when the program turns echo off (TCSAFLUSH) and the
# program would wait for ever. Nothing here may hang the suite: after
# DEADLINE seconds the program is killed and the exit status is 124.
import os, pty, select, signal, sys, time

DEADLINE = 120


def read_some(fd, until):
    left = until - time.monotonic()
    if left <= 0 or not select.select([fd], [], [], left)[0]:
        return b""
    try:
        return os.read(fd, 1024)
    except OSError:
        return b""


def give_up(pid, out, why):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.stdout.write("\nsigner-pty: %s\n" % why)
    return 124


def run(argv, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    until = time.monotonic() + DEADLINE
    out = b""
    for a in answers:
        while not out.endswith(b": "):
            chunk = read_some(fd, until)
            if not chunk:
                if time.monotonic() >= until:
                    return give_up(pid, out, "no prompt within %d s" % DEADLINE)
                break          # the program ended before asking
            out += chunk
        if not out.endswith(b": "):
            break
        os.write(fd, a.encode() + b"\n")
        out += b"\n"
    while True:
        chunk = read_some(fd, until)
        if not chunk:
            break
        out += chunk
    for _ in range(50):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            sys.stdout.write(out.decode(errors="replace"))
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    return give_up(pid, out, "the program did not exit")


sys.exit(run(sys.argv[1].split(), [] if sys.argv[2] == "-" else sys.argv[2].split(",")))
