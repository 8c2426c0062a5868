// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import limu.bootloader.DwarfInlines;
import limu.bootloader.DwarfLines;
import limu.bootloader.ElfFile;
import limu.emulator.Backtrace;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * limu's inline chains against binutils' {@code addr2line -f -i -C} on our own dev and release kernels: for many
 * addresses across {@code .text} (a fixed stride, plus every function's first byte and the byte before each
 * function's end), every frame of every chain must name the same function and the same file and line. The same
 * on a small C program gcc builds with DWARF 5 and with DWARF 4.
 */
class InlineChainTest {
    /** One frame as addr2line prints it: the function, then {@code file:line} ({@code ??:0}, {@code file:?}). */
    private record Expected(String function, String place) {
    }

    private static boolean haveAddr2line() {
        return runs("addr2line");
    }

    private static boolean runs(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static List<Long> addresses(ElfFile elf) {
        ElfFile.Section text = elf.section(".text").orElseThrow();
        List<Long> out = new ArrayList<>();
        long stride = Math.max(1, text.size() / 4000) | 1;   // odd, so every byte offset modulo 16 is met
        for (long a = text.addr(); a < text.addr() + text.size(); a += stride) {
            out.add(a);
        }
        for (ElfFile.Symbol s : elf.symbols()) {
            if (s.type() == ElfFile.STT_FUNC && s.size() > 0 && s.sectionIndex() == text.index()) {
                out.add(s.value());
                out.add(s.value() + s.size() - 1);
            }
        }
        return out;
    }

    /** Runs addr2line once over all addresses; each address's frames, innermost first. */
    private static Map<Long, List<Expected>> addr2line(Path elf, List<Long> addresses) throws Exception {
        Process p = new ProcessBuilder("addr2line", "-a", "-f", "-i", "-C", "-e", elf.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread feed = new Thread(() -> {
            try (var in = p.getOutputStream()) {
                StringBuilder b = new StringBuilder();
                for (long a : addresses) {
                    b.append("0x").append(Long.toHexString(a)).append('\n');
                }
                in.write(b.toString().getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        feed.start();
        String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
        feed.join();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        Map<Long, List<Expected>> out = new LinkedHashMap<>();
        List<Expected> current = null;
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i];
            if (l.startsWith("0x")) {
                current = new ArrayList<>();
                out.put(Long.parseUnsignedLong(l.substring(2), 16), current);
            } else if (current != null && i + 1 < lines.length) {
                current.add(new Expected(l, lines[++i].replaceAll(" \\(discriminator \\d+\\)$", "")));
            }
        }
        return out;
    }

    /** limu's place against addr2line's: same line, and limu's file a trailing part of addr2line's path. */
    private static boolean samePlace(Optional<DwarfLines.SourceLine> ours, String theirs) {
        int colon = theirs.lastIndexOf(':');
        String file = theirs.substring(0, colon);
        String line = theirs.substring(colon + 1);
        if (line.equals("0") || line.equals("?") || file.equals("??")) {
            return ours.isEmpty();
        }
        if (ours.isEmpty() || !line.equals(Integer.toString(ours.get().line()))) {
            return false;
        }
        String f = ours.get().file();
        return file.equals(f) || file.endsWith("/" + f);
    }

    @org.junit.jupiter.api.Test
    void aBacktraceFrameListsTheInlinedCallsAsAddr2line() throws Exception {
        assumeTrue(haveAddr2line(), "binutils' addr2line is not installed");
        Path path = Limu.kernel("heap-bugs-release.elf");
        ElfFile elf = ElfFile.parse(Files.readAllBytes(path), "heap-bugs-release.elf");
        long call = 0;
        for (long a : addresses(elf)) {
            if (elf.inlines().at(a).size() >= 3 && elf.lines().at(a).isPresent()) {
                call = a;
                break;
            }
        }
        assertTrue(call != 0, "a release kernel has code inlined three deep");
        List<Expected> want = addr2line(path, List.of(call)).get(call);
        // as a return address: the frame is looked up at the byte before it, in the call
        String[] lines = Backtrace.frame(elf, "    ", 3, call + 1, true).split("\n");
        assertEquals(want.size(), lines.length, String.join("\n", lines));
        String first = String.format("    #3 0x%016x %s (", call + 1, elf.symbolize(call + 1).orElseThrow());
        assertTrue(lines[0].startsWith(first), lines[0]);
        String place0 = want.get(0).place();
        assertTrue(lines[0].endsWith(place0.substring(place0.lastIndexOf(':')) + " in " + want.get(0).function() + ")"),
                lines[0] + "\n" + want.get(0));
        for (int i = 1; i < lines.length; i++) {
            String place = want.get(i).place();
            assertTrue(lines[i].startsWith("        inlined into " + want.get(i).function() + " ("), lines[i]);
            assertTrue(lines[i].endsWith(place.substring(place.lastIndexOf(':')) + ")"), lines[i] + "\n" + place);
            String file = lines[i].substring(lines[i].lastIndexOf(" (") + 2, lines[i].lastIndexOf(':'));
            String placeFile = place.substring(0, place.lastIndexOf(':'));
            assertTrue(placeFile.equals(file) || placeFile.endsWith("/" + file), file + " in " + place);
        }
    }

    /** A C program whose static functions gcc inlines into each other, two and three deep, some more than once. */
    private static final String INLINING_C = """
            #include <stdio.h>
            static inline __attribute__((always_inline)) int leaf(int x) {
                return x * 3 + (x >> 2);
            }
            static inline __attribute__((always_inline)) int middle(int x) {
                int a = leaf(x);
                int b = leaf(a + 1);
                return a ^ b;
            }
            static int outer(int n) {
                int s = 0;
                for (int i = 0; i < n; i++) {
                    s += middle(i);
                    if (s & 1) {
                        s += leaf(s);
                    }
                }
                return s;
            }
            int main(int argc, char **argv) {
                (void) argv;
                printf("%d\\n", outer(argc * 1000) + middle(argc));
                return 0;
            }
            """;

    @ParameterizedTest
    @ValueSource(strings = {"-gdwarf-5", "-gdwarf-4"})
    void gccDwarfMatchesAddr2line(String dwarf, @TempDir Path dir) throws Exception {
        assumeTrue(haveAddr2line() && runs("gcc"), "binutils' addr2line or gcc is not installed");
        Path source = dir.resolve("inlining.c");
        Files.writeString(source, INLINING_C);
        Path elf = dir.resolve("inlining");
        Process gcc = new ProcessBuilder("gcc", "-O2", dwarf, "-o", elf.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(gcc.waitFor(120, TimeUnit.SECONDS) && gcc.exitValue() == 0, "gcc could not build it: " + out);
        compare(elf, "inlining " + dwarf, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"heap-bugs.elf", "heap-bugs-release.elf", "chapter-release.elf", "tutorial-release.elf"})
    void everyFrameMatchesAddr2line(String kernel) throws Exception {
        assumeTrue(haveAddr2line(), "binutils' addr2line is not installed");
        compare(Limu.kernel(kernel), kernel, kernel.contains("release"));
    }

    private static void compare(Path path, String kernel, boolean expectInlines) throws Exception {
        ElfFile elf = ElfFile.parse(Files.readAllBytes(path), kernel);
        List<Long> addresses = addresses(elf);
        Map<Long, List<Expected>> expected = addr2line(path, addresses);
        assertEquals(addresses.stream().distinct().count(), expected.size(), "addr2line answered every address");
        DwarfInlines inlines = elf.inlines();
        int frames = 0;
        int covered = 0;
        int chainsWithInlines = 0;
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<Long, List<Expected>> e : expected.entrySet()) {
            List<Expected> want = e.getValue();
            List<DwarfInlines.Frame> got = inlines.at(e.getKey());
            if (want.size() == 1 && want.get(0).function().equals("??")) {
                want = List.of();   // nothing covers it
            }
            if (want.size() == 1 && want.get(0).place().endsWith(":?") && got.isEmpty()) {
                // no line and no DWARF function: addr2line names the nearest symbol, limu uses its symbol table
                want = List.of();
            }
            String difference = got.size() == want.size() ? null
                    : "frames: limu " + got.size() + ", addr2line " + want.size();
            for (int i = 0; difference == null && i < got.size(); i++) {
                if (!got.get(i).function().equals(want.get(i).function())
                        || !samePlace(got.get(i).line(), want.get(i).place())) {
                    difference = "frame " + i + ": limu " + got.get(i) + "\n    addr2line " + want.get(i);
                }
            }
            if (difference != null && wrong.size() < 10) {
                wrong.add(String.format("0x%x: %s", e.getKey(), difference));
            }
            frames += got.size();
            covered += got.isEmpty() ? 0 : 1;
            chainsWithInlines += got.size() > 1 ? 1 : 0;
        }
        assertTrue(wrong.isEmpty(), kernel + ": chains that differ from addr2line's:\n" + String.join("\n", wrong));
        assertTrue(chainsWithInlines > 0 || !expectInlines, kernel + ": no inlined frames at all");
        // an empty answer everywhere would also "match" where addr2line falls back to symbols
        assertTrue(covered * 4 >= expected.size(), kernel + ": only " + covered + " of " + expected.size()
                + " addresses have DWARF frames");
        System.out.printf("%s: %d addresses, %d with DWARF frames, %d frames, %d chains with inlined calls,"
                + " all as addr2line%n", kernel, expected.size(), covered, frames, chainsWithInlines);
    }
}
