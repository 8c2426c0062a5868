// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.replay;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import limu.emulator.HostEvent;

/** Reads a recording {@link RecordingWriter} wrote, checking every line (docs/record-replay.md). */
public final class RecordingReader {
    /** The file is not a recording this limu can replay: the message says which line and why. */
    public static final class Corrupt extends Exception {
        private static final long serialVersionUID = 1L;

        Corrupt(String message) {
            super(message);
        }
    }

    /** What was read, and a warning when the last line was cut off (a write the recording limu never finished). */
    public record Result(RunRecording recording, Optional<String> warning) {
    }

    private RecordingReader() {
    }

    /** Reads {@code path}; Corrupt for anything that is not a well-formed recording, IOException when unreadable. */
    public static Result read(Path path) throws IOException, Corrupt {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new Corrupt(path + ": no such file");
        }
        return parse(bytes, path.toString());
    }

    /** Reads a recording's bytes ({@code name} in messages). */
    public static Result parse(byte[] bytes, String name) throws Corrupt {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String warning = null;
        if (text.isEmpty()) {
            throw new Corrupt(name + ": not a limu recording (the file is empty)");
        }
        int lastEnd = text.lastIndexOf('\n');
        if (lastEnd != text.length() - 1) {
            if (lastEnd < 0) {
                throw new Corrupt(name + ": not a limu recording (no complete line)");
            }
            warning = name + ": its last line is cut off (the recording limu was stopped while writing it); it is"
                    + " left out";
            text = text.substring(0, lastEnd + 1);
        }
        String[] lines = text.split("\n", -1);
        int n = lines.length - 1;   // the text ends with '\n'
        if (!lines[0].startsWith(RecordingFormat.MAGIC + " ")) {
            throw new Corrupt(name + ": not a limu recording (it does not start with '" + RecordingFormat.MAGIC + "')");
        }
        String version = lines[0].substring(RecordingFormat.MAGIC.length() + 1);
        if (!version.equals(Integer.toString(RunRecording.FORMAT))) {
            throw new Corrupt(name + ": recording format '" + version + "' is not one this limu reads (it reads "
                    + RunRecording.FORMAT + ")");
        }
        Map<String, String> single = new HashMap<>();
        List<RunRecording.FileHash> modules = new ArrayList<>();
        List<String> args = new ArrayList<>();
        List<RunRecording.FileHash> loaded = new ArrayList<>();
        List<HostEvent> events = new ArrayList<>();
        RunRecording.End end = null;
        boolean started = false;
        for (int i = 1; i < n; i++) {
            String line = lines[i];
            String where = name + " line " + (i + 1) + ": ";
            try {
                for (char c : line.toCharArray()) {
                    if (c < 0x20 || c >= 0x7f) {
                        throw new IllegalArgumentException("a byte outside printable ASCII (0x"
                                + Integer.toHexString(c) + ")");
                    }
                }
                String[] w = line.split(" ", -1);
                if (end != null) {
                    throw new IllegalArgumentException("a line after the end line");
                }
                if (!started) {
                    switch (w[0]) {
                        case "limu", "date" -> {
                            words(w, 2);
                            if (single.put(w[0], w[1]) != null) {
                                throw new IllegalArgumentException("a second '" + w[0] + "' line");
                            }
                        }
                        case "kernel" -> {
                            words(w, 3);
                            if (single.put("kernel", w[1]) != null) {
                                throw new IllegalArgumentException("a second 'kernel' line");
                            }
                            single.put("kernel-path", RecordingFormat.unescape(w[2]));
                            sha256(w[1]);
                        }
                        case "module" -> {
                            words(w, 3);
                            modules.add(new RunRecording.FileHash(sha256(w[1]), RecordingFormat.unescape(w[2])));
                        }
                        case "loaded" -> {
                            words(w, 3);
                            loaded.add(new RunRecording.FileHash(sha256(w[1]), RecordingFormat.unescape(w[2])));
                        }
                        case "arg" -> {
                            words(w, 2);
                            args.add(RecordingFormat.unescape(w[1]));
                        }
                        case "start" -> {
                            words(w, 1);
                            for (String k : List.of("limu", "kernel", "date")) {
                                if (!single.containsKey(k)) {
                                    throw new IllegalArgumentException("the header has no '" + k + "' line");
                                }
                            }
                            started = true;
                        }
                        default -> throw new IllegalArgumentException("'" + w[0] + "' is not a header line");
                    }
                } else if (w[0].equals("in")) {
                    HostEvent e = RecordingFormat.parseInput(w);
                    if (!events.isEmpty()) {
                        HostEvent last = events.get(events.size() - 1);
                        if (e.iteration() <= last.iteration() || e.nanos() < last.nanos()) {
                            throw new IllegalArgumentException("input at loop turn " + e.iteration() + ", "
                                    + e.nanos() + " ns does not come after the one before (turn " + last.iteration()
                                    + ", " + last.nanos() + " ns)");
                        }
                    }
                    events.add(e);
                } else if (w[0].equals("end")) {
                    end = parseEnd(w);
                } else {
                    throw new IllegalArgumentException("'" + w[0] + "' is neither an input nor the end line");
                }
            } catch (IllegalArgumentException e) {
                throw new Corrupt(where + e.getMessage());
            }
        }
        if (!started) {
            throw new Corrupt(name + ": the recording ends inside its header (no 'start' line)");
        }
        long date;
        try {
            date = Long.parseLong(single.get("date"));
        } catch (NumberFormatException e) {
            throw new Corrupt(name + ": date '" + single.get("date") + "' is not a number");
        }
        String limu;
        try {
            limu = RecordingFormat.unescape(single.get("limu"));
        } catch (IllegalArgumentException e) {
            throw new Corrupt(name + ": limu version: " + e.getMessage());
        }
        RunRecording.Header h = new RunRecording.Header(limu,
                new RunRecording.FileHash(single.get("kernel"), single.get("kernel-path")), modules, date, args, loaded);
        return new Result(new RunRecording(h, events, Optional.ofNullable(end)), Optional.ofNullable(warning));
    }

    private static RunRecording.End parseEnd(String[] w) {
        Map<String, String> f = new HashMap<>();
        for (int i = 1; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            if (eq <= 0 || f.put(w[i].substring(0, eq), w[i].substring(eq + 1)) != null) {
                throw new IllegalArgumentException("end field '" + w[i] + "' is not a single KEY=VALUE");
            }
        }
        for (String k : List.of("exit", "stop", "stop-exit", "blocks", "instructions", "turns", "nanos", "output",
                "message")) {
            if (!f.containsKey(k)) {
                throw new IllegalArgumentException("the end line has no " + k + "=");
            }
        }
        return new RunRecording.End(parseInt(f.get("exit"), "exit"), f.get("stop"),
                parseInt(f.get("stop-exit"), "stop-exit"), RecordingFormat.parseLong(f.get("blocks"), "blocks"),
                RecordingFormat.parseLong(f.get("instructions"), "instructions"),
                RecordingFormat.parseLong(f.get("turns"), "turns"), RecordingFormat.parseLong(f.get("nanos"), "nanos"),
                sha256(f.get("output")), RecordingFormat.unescape(f.get("message")));
    }

    private static int parseInt(String s, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
    }

    private static void words(String[] w, int count) {
        if (w.length != count) {
            throw new IllegalArgumentException("'" + w[0] + "' takes " + (count - 1) + " field(s), not "
                    + (w.length - 1));
        }
    }

    private static String sha256(String hex) {
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("'" + hex + "' is not a SHA-256 (64 lower-case hex digits)");
        }
        return hex;
    }
}
