# signer-pty.py "CMD ARGS" "ANSWER1,ANSWER2": runs CMD on a pseudo-terminal,
# typing each answer after each prompt (output ending in ": "; "-" for no
# answers); prints what
# the terminal showed and exits with CMD's exit status. For the tests of
# passphrases read from /dev/tty with echo off.
import os, pty, select, sys


def read_some(fd):
    # A program that never prompts must not hang the test suite.
    if not select.select([fd], [], [], 30)[0]:
        return b""
    try:
        return os.read(fd, 1024)
    except OSError:
        return b""

def run(argv, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = b""
    for a in answers:
        while not out.endswith(b": "):
            chunk = read_some(fd)
            if not chunk:
                break
            out += chunk
        os.write(fd, a.encode() + b"\n")
        out += b"\n"
    while True:
        chunk = read_some(fd)
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    return os.waitstatus_to_exitcode(status)

sys.exit(run(sys.argv[1].split(), [] if sys.argv[2] == "-" else sys.argv[2].split(",")))
