// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import limu.emulator.HostEvent;

/**
 * Writes a recording as the run goes (docs/record-replay.md): the header at once, each input as it is delivered,
 * the end when the run is over. Every line is handed to the file as it is written, so a run that is killed leaves
 * a recording that is usable up to its last input.
 */
public final class RecordingWriter implements AutoCloseable {
    private final OutputStream out;
    private final Path path;
    private IOException failed;

    private RecordingWriter(OutputStream out, Path path) {
        this.out = out;
        this.path = path;
    }

    /** Creates {@code path} (replacing it) and writes the header; IOException when it cannot. */
    public static RecordingWriter create(Path path, RunRecording.Header h) throws IOException {
        RecordingWriter w = new RecordingWriter(new FileOutputStream(path.toFile()), path);
        StringBuilder b = new StringBuilder();
        b.append(RecordingFormat.MAGIC).append(' ').append(RunRecording.FORMAT).append('\n');
        b.append("limu ").append(RecordingFormat.escape(h.limuVersion())).append('\n');
        b.append("kernel ").append(h.kernel().sha256()).append(' ').append(RecordingFormat.escape(h.kernel().path()))
                .append('\n');
        for (RunRecording.FileHash m : h.modules()) {
            b.append("module ").append(m.sha256()).append(' ').append(RecordingFormat.escape(m.path())).append('\n');
        }
        b.append("date ").append(h.dateSeconds()).append('\n');
        for (String a : h.args()) {
            b.append("arg ").append(RecordingFormat.escape(a)).append('\n');
        }
        for (RunRecording.FileHash f : h.loaded()) {
            b.append("loaded ").append(f.sha256()).append(' ').append(RecordingFormat.escape(f.path())).append('\n');
        }
        b.append("start\n");
        w.out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
        return w;
    }

    /**
     * One input (run-loop thread). A write error is kept and reported by {@link #end}: the run goes on, the recording
     * ends there.
     */
    public void input(HostEvent e) {
        line(RecordingFormat.inputLine(e));
    }

    /** The end line; IOException when this or an earlier write failed. */
    public void end(RunRecording.End e) throws IOException {
        line(String.format("end exit=%d stop=%s stop-exit=%d blocks=%d instructions=%d turns=%d nanos=%d output=%s"
                        + " message=%s", e.exitCode(), e.stop(), e.stopCode(), e.blocks(), e.instructions(), e.turns(),
                e.nanos(), e.outputSha256(), RecordingFormat.escape(e.message())));
        if (failed != null) {
            throw new IOException(path + ": " + failed.getMessage(), failed);
        }
    }

    private void line(String text) {
        if (failed != null) {
            return;
        }
        try {
            out.write((text + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            failed = e;
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
