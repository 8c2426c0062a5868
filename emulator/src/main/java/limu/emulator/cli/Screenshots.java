// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import limu.emulator.Framebuffer;
import limu.emulator.Machine;

/**
 * {@code --screenshot FILE.png}: the framebuffer as a PNG when the run ends,
 * and numbered ones mid-run on SIGUSR2 ({@code kill -USR2 <pid>}) or a display
 * window's Ctrl+Alt+S.
 */
final class Screenshots {
    private final Framebuffer framebuffer;
    private final Path file;
    private final PrintWriter err;
    private sun.misc.SignalHandler previous;
    private int taken;

    private Screenshots(Framebuffer framebuffer, Path file, PrintWriter err) {
        this.framebuffer = framebuffer;
        this.file = file;
        this.err = err;
    }

    static Screenshots install(Machine machine, Path file, PrintWriter err) {
        Screenshots s = new Screenshots(machine.framebuffer().orElseThrow(), file, err);
        try {
            s.previous = sun.misc.Signal.handle(new sun.misc.Signal("USR2"), sig -> s.writeNumbered());
        } catch (IllegalArgumentException e) {
            err.println("limu: mid-run screenshots unavailable: " + e.getMessage());
        }
        return s;
    }

    /** Numbered screenshots on request only (a display window's key), named after {@code file}. */
    static Screenshots onRequest(Machine machine, Path file, PrintWriter err) {
        return new Screenshots(machine.framebuffer().orElseThrow(), file, err);
    }

    void uninstall() {
        if (previous != null) {
            sun.misc.Signal.handle(new sun.misc.Signal("USR2"), previous);
        }
    }

    synchronized void writeNumbered() {
        taken++;
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot < 0 ? name + "-" + taken : name.substring(0, dot) + "-" + taken + name.substring(dot);
        write(file.resolveSibling(numbered));
    }

    void writeFinal() {
        write(file);
    }

    private void write(Path target) {
        try {
            framebuffer.writePng(target);
            err.println("limu: framebuffer written to " + target);
        } catch (IOException e) {
            err.println("limu: cannot write " + target + ": " + e.getMessage());
        }
        err.flush();
    }
}
