// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.console;

import com.sun.jna.Library;
import com.sun.jna.Native;
import limu.emulator.unicorn.JnaStartup;

/**
 * The terminal on a file descriptor, switched to raw input for a serial console and put back exactly as it was.
 * <p>
 * Raw here is what QEMU's {@code -serial stdio} sets: no line editing or echo (ICANON, ECHO, ECHONL, IEXTEN off),
 * no input translation (ICRNL, INLCR, IGNCR, ISTRIP, IXON, BRKINT, IGNBRK, PARMRK off: Enter sends CR, Ctrl-S and
 * Ctrl-Q reach the guest), 8-bit characters, reads that return each byte as it comes (VMIN 1, VTIME 0). Output
 * processing (OPOST) stays on, so a guest's LF still starts a new line, and so do signals (ISIG): Ctrl-C stops
 * limu as it always does.
 * <p>
 * The settings go through libc's tcgetattr/tcsetattr (POSIX termios, through JNA) rather than an {@code stty}
 * child process: restoring is one system call, which a shutdown hook can make while the JVM goes down on SIGTERM,
 * and it needs neither {@code /dev/tty} nor the terminal being the process's controlling one. The whole saved
 * {@code struct termios} is written back byte for byte, whatever it held. Linux x86_64 layout (glibc's
 * {@code termios.h}): four 32-bit flag words, {@code c_line}, 32 control characters, two speeds.
 */
final class TerminalMode {
    private static final int TERMIOS_SIZE = 60;
    private static final int IFLAG = 0;
    private static final int OFLAG = 4;
    private static final int CFLAG = 8;
    private static final int LFLAG = 12;
    private static final int CC = 17;
    private static final int VTIME = 5;
    private static final int VMIN = 6;

    // <bits/termios-c_iflag.h>, <bits/termios-c_oflag.h>, <bits/termios-c_cflag.h>, <bits/termios-c_lflag.h>
    private static final int IGNBRK = 0x1, BRKINT = 0x2, PARMRK = 0x8, ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80,
            ICRNL = 0x100, IXON = 0x400;
    private static final int OPOST = 0x1;
    private static final int CSIZE = 0x30, CS8 = 0x30, PARENB = 0x100;
    private static final int ECHO = 0x8, ECHONL = 0x40, ICANON = 0x2, IEXTEN = 0x8000;
    private static final int TCSANOW = 0;

    /** The libc calls used, by name. */
    interface LibC extends Library {
        int isatty(int fd);

        int tcgetattr(int fd, byte[] termios);

        int tcsetattr(int fd, int optionalActions, byte[] termios);

        int tcgetpgrp(int fd);

        int getpgrp();
    }

    private static volatile LibC libc;

    private final int fd;
    private final byte[] saved;
    private final Thread restoreOnExit;
    private boolean raw;

    private TerminalMode(int fd, byte[] saved) {
        this.fd = fd;
        this.saved = saved;
        this.restoreOnExit = new Thread(this::restore, "limu-terminal-restore");
    }

    private static LibC libc() {
        if (libc == null) {
            JnaStartup.prepare();
            libc = Native.load("c", LibC.class);
        }
        return libc;
    }

    /**
     * True when {@code fd} is a terminal limu may read and set: not one whose job control would stop a background
     * limu for touching it (its foreground process group is another one).
     */
    static boolean usableTerminal(int fd) {
        try {
            LibC c = libc();
            if (c.isatty(fd) != 1) {
                return false;
            }
            int foreground = c.tcgetpgrp(fd);
            return foreground < 0 || foreground == c.getpgrp();   // < 0: not our controlling terminal, no job control
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /** The terminal on {@code fd} with its settings saved; IllegalStateException when they cannot be read. */
    static TerminalMode of(int fd) {
        byte[] saved = new byte[TERMIOS_SIZE + 4];
        if (libc().tcgetattr(fd, saved) != 0) {
            throw new IllegalStateException("tcgetattr(" + fd + ") failed: errno " + Native.getLastError());
        }
        return new TerminalMode(fd, saved);
    }

    /** Raw input, as the class comment says; {@link #restore()} undoes it, and so does the JVM's shutdown. */
    synchronized void enterRaw() {
        if (raw) {
            return;
        }
        byte[] t = saved.clone();
        put(t, IFLAG, get(t, IFLAG) & ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON));
        put(t, OFLAG, get(t, OFLAG) | OPOST);
        put(t, LFLAG, get(t, LFLAG) & ~(ECHO | ECHONL | ICANON | IEXTEN));
        put(t, CFLAG, get(t, CFLAG) & ~(CSIZE | PARENB) | CS8);
        t[CC + VMIN] = 1;
        t[CC + VTIME] = 0;
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
        if (libc().tcsetattr(fd, TCSANOW, t) != 0) {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            throw new IllegalStateException("tcsetattr(" + fd + ") failed: errno " + Native.getLastError());
        }
        raw = true;
    }

    /** Puts back the settings saved before {@link #enterRaw()}; does nothing the second time. */
    synchronized void restore() {
        if (!raw) {
            return;
        }
        raw = false;
        libc().tcsetattr(fd, TCSANOW, saved);
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException e) {
            // the JVM is going down: this is the hook itself running
        }
    }

    private static int get(byte[] t, int at) {
        return t[at] & 0xFF | (t[at + 1] & 0xFF) << 8 | (t[at + 2] & 0xFF) << 16 | (t[at + 3] & 0xFF) << 24;
    }

    private static void put(byte[] t, int at, int v) {
        t[at] = (byte) v;
        t[at + 1] = (byte) (v >>> 8);
        t[at + 2] = (byte) (v >>> 16);
        t[at + 3] = (byte) (v >>> 24);
    }
}
