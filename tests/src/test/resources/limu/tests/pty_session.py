#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs a command on a fresh pseudo-terminal (its stdin, stdout and stderr, and its controlling terminal, in the
foreground) and plays a script against it, as a person at a terminal would.

Usage: pty_session.py STEPS -- COMMAND...
STEPS is a JSON list of steps:
  ["expect", REGEX]     wait (up to 60 s) until the output since the last expect matches REGEX
  ["send", TEXT]        type TEXT (code points 0-255, sent as those bytes)
  ["stty"]              record `stty -a` of the terminal now
  ["signal", NAME]      send the signal (e.g. "TERM") to the command
Then it waits for the command to end and records `stty -a` once more. It prints, one per line:
  EXIT <code>           the command's exit status (negative: killed by that signal)
  STTY <base64>         each recorded `stty -a`, the last one taken after the command ended
  OUTPUT <base64>       everything the terminal showed
  ERROR <text>          a step that failed (the command is killed)
"""
import base64
import fcntl
import json
import os
import re
import select
import signal
import subprocess
import sys
import termios
import time

TIMEOUT = 60.0


def main():
    split = sys.argv.index("--")
    steps = json.loads(sys.argv[1])
    command = sys.argv[split + 1:]
    master, slave = os.openpty()

    def controlling_terminal():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                            preexec_fn=controlling_terminal, close_fds=True)
    output = bytearray()
    mark = 0
    sttys = []

    def read_some(wait):
        ready, _, _ = select.select([master], [], [], wait)
        if ready:
            try:
                output.extend(os.read(master, 65536))
            except OSError:
                pass

    def stty():
        done = subprocess.run(["stty", "-a"], stdin=slave, capture_output=True)
        return done.stdout.decode("latin-1") + done.stderr.decode("latin-1")

    error = None
    try:
        for step in steps:
            kind = step[0]
            if kind == "expect":
                pattern = re.compile(step[1].encode("latin-1"), re.S)
                end = time.monotonic() + TIMEOUT
                while True:
                    found = pattern.search(bytes(output), mark)
                    if found:
                        mark = found.end()
                        break
                    if time.monotonic() > end:
                        raise RuntimeError("timed out expecting %r" % step[1])
                    if proc.poll() is not None:
                        read_some(0.2)
                        if not pattern.search(bytes(output), mark):
                            raise RuntimeError("the command ended (%d) while expecting %r" % (proc.returncode, step[1]))
                    read_some(0.1)
            elif kind == "send":
                os.write(master, step[1].encode("latin-1"))
            elif kind == "stty":
                time.sleep(0.2)
                sttys.append(stty())
            elif kind == "signal":
                proc.send_signal(getattr(signal, "SIG" + step[1]))
            else:
                raise RuntimeError("unknown step %r" % (step,))
        end = time.monotonic() + TIMEOUT
        while proc.poll() is None:
            if time.monotonic() > end:
                raise RuntimeError("the command did not end")
            read_some(0.1)
    except RuntimeError as e:
        error = str(e)
        proc.kill()
        proc.wait()
    read_some(0.2)
    while select.select([master], [], [], 0)[0]:
        before = len(output)
        read_some(0)
        if len(output) == before:
            break
    sttys.append(stty())
    print("EXIT %d" % proc.returncode)
    for s in sttys:
        print("STTY " + base64.b64encode(s.encode("latin-1")).decode())
    print("OUTPUT " + base64.b64encode(bytes(output)).decode())
    if error:
        print("ERROR " + error)


if __name__ == "__main__":
    main()
