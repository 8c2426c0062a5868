// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import limu.emulator.StopReason;

/** Writes results in the JUnit XML format CI systems read (Jenkins, GitLab, GitHub actions' reporters). */
public final class JUnitXml {
    private JUnitXml() {
    }

    /** One kernel's run. */
    public record Case(String name, String className, double seconds, Verdicts.Verdict verdict, String serialLog) {
        /** The same case without its serial output (kept in a log file instead). */
        public Case withoutSerialLog() {
            return new Case(name, className, seconds, verdict, "");
        }
    }

    public static void write(Path file, String suite, List<Case> cases) throws IOException {
        long failures = cases.stream().filter(c -> !c.verdict().passed()).count();
        double total = cases.stream().mapToDouble(Case::seconds).sum();
        StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.append(String.format(Locale.ROOT, "<testsuites tests=\"%d\" failures=\"%d\" errors=\"0\" time=\"%.3f\">%n",
                cases.size(), failures, total));
        x.append(String.format(Locale.ROOT,
                "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"0\" time=\"%.3f\">%n",
                escape(suite), cases.size(), failures, total));
        for (Case c : cases) {
            x.append(String.format(Locale.ROOT, "    <testcase name=\"%s\" classname=\"%s\" time=\"%.3f\">%n",
                    escape(c.name()), escape(c.className()), c.seconds()));
            if (!c.verdict().passed()) {
                String message = c.verdict().message();
                String text = message;
                if (c.verdict().reason() instanceof StopReason.HeapViolation v) {
                    // the violation's summary line as the message, its whole report (call, block, backtrace) as text
                    message = v.summary();
                    text = v.summary() + "\n" + v.report();
                }
                x.append(String.format("      <failure message=\"%s\" type=\"exit %d\">%s</failure>%n",
                        escape(message), c.verdict().exitCode(), escape(text)));
            }
            x.append("      <system-out>").append(escape(c.serialLog())).append("</system-out>\n");
            x.append("    </testcase>\n");
        }
        x.append("  </testsuite>\n</testsuites>\n");
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, x, StandardCharsets.UTF_8);
    }

    /** XML 1.0 text: markup escaped, control characters other than tab/CR/LF (ANSI escapes) dropped. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c >= 0x20 && c != 0xFFFE && c != 0xFFFF || c == '\t' || c == '\n' || c == '\r') {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
