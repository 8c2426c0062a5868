// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The machine (limu.emulator, its cpu and unicorn packages) knows nothing of the tools that use it: the command
 * line, the display window, the GDB stub, the heap checker, the harness, record and replay and the benchmarks reach it through its
 * public API and attach through {@link Debugger} and {@link ExecutionObserver}. The devices and bootloader
 * modules know nothing of the engine. Checked on the sources, import by import (and fully qualified uses in code).
 */
class LayeringTest {
    private static final Path SOURCES = Path.of("src/main/java/limu/emulator");
    private static final Pattern TOOL_USE = Pattern.compile(
            "^(?!\\s*(/?\\*|//)).*\\blimu\\.emulator\\.(cli|gdb|heap|harness|bench|display|console|replay)\\.", Pattern.MULTILINE);

    @Test
    void theMachineImportsNoTool() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path dir : List.of(SOURCES, SOURCES.resolve("cpu"), SOURCES.resolve("unicorn"))) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = TOOL_USE.matcher(Files.readString(f));
                    while (m.find()) {
                        found.add(SOURCES.relativize(f) + ": " + m.group().trim());
                    }
                }
            }
        }
        assertEquals(List.of(), found, "the machine must not depend on the tools that use it");
    }

    @Test
    void devicesAndBootloaderKnowNoEngine() throws IOException {
        Pattern engine = Pattern.compile("^import\\s+(limu\\.emulator|com\\.sun\\.jna|limu\\.devices|limu\\.bootloader)\\.",
                Pattern.MULTILINE);
        List<String> found = new ArrayList<>();
        for (String module : List.of("devices", "bootloader")) {
            Path root = Path.of("..", module, "src/main/java");
            assertTrue(Files.isDirectory(root), root + " exists");
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = engine.matcher(Files.readString(f));
                    while (m.find()) {
                        String imported = m.group(1);
                        if (!imported.equals("limu." + module)) {
                            found.add(root.relativize(f) + ": " + m.group().trim());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), found, "devices and bootloader stand alone");
    }
}
