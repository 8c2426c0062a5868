// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Sits between COM1 and where its output goes, reads it line by line and
 * judges it against a {@link TestSpec}: as soon as the outcome is known (a
 * --fail-on line, a line that leaves the --expect-file, every --expect seen)
 * it calls {@code onDecided} so the machine can stop. Lines are matched with
 * ANSI escape sequences and a trailing CR removed. Used on the run-loop thread.
 */
public final class SerialWatch extends OutputStream {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;?]*[ -/]*[@-~]|\u001B[@-Z\\\\-_]");
    /**
     * After a --fail-on line the machine runs on for at most this many lines
     * (or {@link #GRACE_MILLIS}), so a panic message's own lines are shown.
     */
    static final int GRACE_LINES = 10;
    static final long GRACE_MILLIS = 200;
    /** Keep at most this much of the output for reports. */
    private static final int LOG_LIMIT = 4 << 20;
    /**
     * A line is judged by its first 64 KiB: the rest of a longer line still goes downstream (and into
     * the log while it has room) but is not kept, so a guest writing gigabytes without a line end
     * cannot fill the host's heap.
     */
    static final int LINE_LIMIT = 64 << 10;

    private final OutputStream downstream;
    private final TestSpec spec;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final ExpectFile.Cursor file;
    private Runnable onDecided = () -> { };
    private int lineNumber;
    private int nextExpect;
    private String failure;
    private int failureCode;
    private boolean passed;
    private boolean finished;
    private int graceLines = -1;

    public SerialWatch(OutputStream downstream, TestSpec spec) {
        this.downstream = downstream;
        this.spec = spec;
        this.file = spec.expectFile().map(ExpectFile::cursor).orElse(null);
    }

    /** Called (on the run-loop thread) once the outcome is known; typically {@code machine::requestStop}. */
    public void onDecided(Runnable action) {
        this.onDecided = action;
    }

    @Override
    public void write(int b) throws IOException {
        downstream.write(b);
        take((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        downstream.write(b, off, len);
        for (int i = 0; i < len; i++) {
            take(b[off + i]);
        }
    }

    @Override
    public void flush() throws IOException {
        downstream.flush();
    }

    @Override
    public void close() throws IOException {
        downstream.close();
    }

    private void take(byte b) {
        if (log.size() < LOG_LIMIT) {
            log.write(b);
        }
        if (b == '\n') {
            endLine();
        } else if (line.size() < LINE_LIMIT) {
            line.write(b);
        }
    }

    private void endLine() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        lineNumber++;
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        judge(ANSI.matcher(text).replaceAll(""));
    }

    private void judge(String text) {
        if (graceLines > 0 && --graceLines == 0) {
            onDecided.run();
        }
        if (failure != null || passed) {
            return;
        }
        for (Pattern p : spec.failOn()) {
            if (p.matcher(text).find()) {
                failure = String.format("serial line %d matches --fail-on '%s': %s", lineNumber, p.pattern(), text);
                failureCode = Verdicts.FAIL_PATTERN;
                graceLines = GRACE_LINES;
                Runnable stop = onDecided;
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(GRACE_MILLIS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    synchronized (SerialWatch.this) {
                        if (!finished) {
                            stop.run();   // thread-safe; never after finish(), when the machine may be closed
                        }
                    }
                }, "limu-fail-on-grace");
                t.setDaemon(true);
                t.start();
                return;
            }
        }
        if (file != null && !file.accept(text, lineNumber)) {
            fail(Verdicts.EXPECTATION, "serial output differs from " + file.mismatch());
            return;
        }
        if (nextExpect < spec.expect().size() && spec.expect().get(nextExpect).matcher(text).find()) {
            nextExpect++;
            if (nextExpect == spec.expect().size() && spec.passesOnExpectations()) {
                passed = true;
                onDecided.run();
            }
        }
    }

    private void fail(int code, String message) {
        failure = message;
        failureCode = code;
        onDecided.run();
    }

    /** The run is over (call before the machine is closed): a last line without a newline is judged too. */
    public synchronized void finish() {
        if (!finished) {
            finished = true;
            if (line.size() > 0) {
                endLine();
            }
        }
    }

    /** Every --expect matched, and the --expect-file was seen to its end. */
    public boolean expectationsMet() {
        return failure == null && nextExpect == spec.expect().size() && (file == null || file.complete());
    }

    /** What the expectations still wait for, for messages. */
    public String awaited() {
        if (nextExpect < spec.expect().size()) {
            return "--expect '" + spec.expect().get(nextExpect).pattern() + "' ("
                    + (nextExpect + 1) + " of " + spec.expect().size() + ")";
        }
        return file != null && !file.complete() ? file.awaited() : "nothing";
    }

    /** The failure found in the output, or null. */
    public String failure() {
        return failure;
    }

    int failureCode() {
        return failureCode;
    }

    /** Every --expect seen and nothing else waited for: the watch stopped the machine with a pass. */
    public boolean passed() {
        return passed;
    }

    /** The serial output so far (the first 4 MiB). */
    public String log() {
        return log.toString(StandardCharsets.UTF_8);
    }
}
