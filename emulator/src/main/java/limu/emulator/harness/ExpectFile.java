// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The serial output a run must produce, line by line, read from an
 * {@code --expect-file}. Text is literal except for placeholders for what
 * varies between builds and runs:
 * <ul>
 * <li>{@code {hex}}: hexadecimal digits, with an optional {@code 0x} ({@code 0xffff80000010a000})</li>
 * <li>{@code {num}}: a decimal number, optionally negative, with an optional fraction ({@code -12}, {@code 3.25})</li>
 * <li>{@code {any}}: any text within the line (possibly none)</li>
 * <li>{@code {{}: a literal {@code {}</li>
 * </ul>
 * A line of the file that is exactly {@code {...}} matches any number of
 * output lines (none included) up to the next line that matches what follows it.
 */
public final class ExpectFile {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(hex|num|any|\\{)}");
    /** A file line that skips output lines. */
    static final String SKIP = "{...}";

    private final List<Pattern> lines;   // null element: skip lines
    private final String name;

    private ExpectFile(String name, List<Pattern> lines) {
        this.name = name;
        this.lines = lines;
    }

    public static ExpectFile read(Path file) throws IOException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    public static ExpectFile parse(String name, String text) {
        List<Pattern> lines = new ArrayList<>();
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (!body.isEmpty() || !text.isEmpty()) {
            for (String line : body.split("\n", -1)) {
                line = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
                lines.add(line.equals(SKIP) ? null : Pattern.compile(toRegex(line)));
            }
        }
        return new ExpectFile(name, lines);
    }

    /** One expected line with its placeholders, as an anchored regex. */
    static String toRegex(String line) {
        StringBuilder re = new StringBuilder();
        Matcher m = PLACEHOLDER.matcher(line);
        int at = 0;
        while (m.find()) {
            re.append(Pattern.quote(line.substring(at, m.start())).replace("\\Q\\E", ""));
            re.append(switch (m.group(1)) {
                case "hex" -> "(?:0[xX])?[0-9a-fA-F]+";
                case "num" -> "-?[0-9]+(?:\\.[0-9]+)?";
                case "any" -> ".*";
                default -> "\\{";
            });
            at = m.end();
        }
        re.append(Pattern.quote(line.substring(at)));
        return re.toString();
    }

    public String name() {
        return name;
    }

    /** A line-by-line matcher over a run's output. */
    Cursor cursor() {
        return new Cursor();
    }

    /** Where the output stands against the file. */
    final class Cursor {
        private int index;
        private String mismatch;

        /** Feeds one output line; false once the output has left the file (see {@link #mismatch()}). */
        boolean accept(String line, int lineNumber) {
            if (mismatch != null) {
                return false;
            }
            while (index < lines.size()) {
                Pattern p = lines.get(index);
                if (p == null) {
                    if (index + 1 >= lines.size()) {
                        return true;   // a trailing {...} takes everything
                    }
                    Pattern next = lines.get(index + 1);
                    if (next != null && next.matcher(line).matches()) {
                        index += 2;
                    }
                    return true;
                }
                if (p.matcher(line).matches()) {
                    index++;
                    return true;
                }
                mismatch = String.format("%s line %d: expected '%s', serial line %d was '%s'", name, index + 1,
                        describe(p), lineNumber, line);
                return false;
            }
            mismatch = String.format("serial line %d '%s' is past the end of %s", lineNumber, line, name);
            return false;
        }

        /** True when every line of the file has been seen. */
        boolean complete() {
            return mismatch == null && (index == lines.size() || index == lines.size() - 1 && lines.get(index) == null);
        }

        String mismatch() {
            return mismatch;
        }

        /** The file line still awaited, for messages. */
        String awaited() {
            return index < lines.size() ? String.format("%s line %d '%s'", name, index + 1,
                    lines.get(index) == null ? SKIP : describe(lines.get(index))) : "(nothing)";
        }
    }

    private static String describe(Pattern p) {
        return p.pattern().replace("\\Q", "").replace("\\E", "").replace("(?:0[xX])?[0-9a-fA-F]+", "{hex}")
                .replace("-?[0-9]+(?:\\.[0-9]+)?", "{num}").replace(".*", "{any}").replace("\\{", "{");
    }
}
