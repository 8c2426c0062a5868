// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.util.List;
import java.util.Optional;
import limu.emulator.HostEvent;

/**
 * A recorded run as {@code limu run --record} wrote it (format in docs/record-replay.md): the header that says how
 * to build the same machine again, the host input in the order it was delivered, and how the run ended (absent
 * when the recording limu never finished, e.g. killed).
 */
public record RunRecording(Header header, List<HostEvent> events, Optional<End> end) {
    /** The format version this limu writes and reads. */
    public static final int FORMAT = 1;

    public RunRecording {
        events = List.copyOf(events);
    }

    /** A file the run was given, with its SHA-256 (lower-case hex) when recorded. */
    public record FileHash(String sha256, String path) {
    }

    /**
     * How the machine was built: limu's version, the kernel, the {@code --module} files, the boot date (UNIX seconds),
     * the {@code limu run} options that shape the run, as the command line gave them (paths of the kernel and
     * modules made absolute), and the files the kernel was handed besides itself (modules, internal ones too) as it
     * saw them: their boot-volume paths and the SHA-256 of the bytes placed in its memory.
     */
    public record Header(String limuVersion, FileHash kernel, List<FileHash> modules, long dateSeconds,
                         List<String> args, List<FileHash> loaded) {
        public Header {
            modules = List.copyOf(modules);
            args = List.copyOf(args);
            loaded = List.copyOf(loaded);
        }
    }

    /**
     * How the run ended: its exit code, the stop reason's kind and own code, blocks and instructions executed, loop
     * turns, virtual time, the SHA-256 of everything written to COM1's output (with debugcon when it shares it) and
     * the one-line message limu printed.
     */
    public record End(int exitCode, String stop, int stopCode, long blocks, long instructions, long turns, long nanos,
                      String outputSha256, String message) {
        /** Stopped from outside (Ctrl-C, a timeout, a closed window, Ctrl-A x): where depends on the host. */
        public boolean external() {
            return stop.equals("Interrupted") || stop.equals("Timeout") || stop.equals("RecordingEnd");
        }
    }
}
