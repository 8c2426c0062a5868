// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import limu.emulator.coverage.LineCoverage;
import limu.emulator.harness.KernelRun;
import limu.emulator.profile.Profile;
import limu.junit.LimuMachine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Line coverage (lcov tracefiles) and profiles of the coverage kernel, whose executed lines and hot function are
 * known: the cmdline picks the branch, the lines carry {@code // mark:NAME} comments that the test looks up in the
 * kernel's source.
 */
class CoverageProfileTest {
    /** The source file as the kernel's DWARF names it (relative to kernel-images/, where it was compiled). */
    private static final String SOURCE = "coverage/src/main.rs";
    private static final Path KERNEL_IMAGES = Limu.HOME.resolve("kernel-images");

    @TempDir
    Path tmp;

    /** Line number of each {@code // mark:NAME} in the kernel's source. */
    private static Map<String, Integer> marks() throws IOException {
        Map<String, Integer> marks = new HashMap<>();
        List<String> lines = Files.readAllLines(KERNEL_IMAGES.resolve(SOURCE));
        for (int i = 0; i < lines.size(); i++) {
            int at = lines.get(i).indexOf("// mark:");
            if (at >= 0) {
                marks.put(lines.get(i).substring(at + 8).trim(), i + 1);
            }
        }
        return marks;
    }

    /** One SF record of a tracefile: its DA lines and FNDA counts, checked for lcov's structure on the way. */
    private record Record(Map<Integer, Long> lines, Map<String, Long> functions, Map<String, Integer> functionLines) {
    }

    private static Map<String, Record> parse(String lcov) {
        Map<String, Record> out = new LinkedHashMap<>();
        Record r = null;
        String file = null;
        String previous = "end_of_record";
        for (String line : lcov.split("\n")) {
            if (line.startsWith("TN:")) {
                assertEquals("end_of_record", previous, "TN starts a record");
            } else if (line.startsWith("SF:")) {
                assertTrue(previous.startsWith("TN:"), "SF follows TN");
                file = line.substring(3);
                r = new Record(new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
                assertFalse(out.containsKey(file), "one record per file: " + file);
                out.put(file, r);
            } else if (line.startsWith("FN:")) {
                String[] f = line.substring(3).split(",", 2);
                r.functionLines.put(f[1], Integer.parseInt(f[0]));
            } else if (line.startsWith("FNDA:")) {
                String[] f = line.substring(5).split(",", 2);
                assertTrue(r.functionLines.containsKey(f[1]), "FNDA after its FN: " + line);
                r.functions.put(f[1], Long.parseLong(f[0]));
            } else if (line.startsWith("FNF:")) {
                assertEquals(r.functionLines.size(), Integer.parseInt(line.substring(4)), file);
            } else if (line.startsWith("FNH:")) {
                assertEquals(r.functions.values().stream().filter(c -> c > 0).count(), Long.parseLong(line.substring(4)));
            } else if (line.startsWith("DA:")) {
                String[] f = line.substring(3).split(",");
                assertEquals(null, r.lines.put(Integer.parseInt(f[0]), Long.parseLong(f[1])), "one DA a line");
            } else if (line.startsWith("LF:")) {
                assertEquals(r.lines.size(), Integer.parseInt(line.substring(3)), file);
            } else if (line.startsWith("LH:")) {
                assertEquals(r.lines.values().stream().filter(c -> c > 0).count(), Long.parseLong(line.substring(3)));
            } else {
                assertEquals("end_of_record", line, "unknown record line");
                for (int fnLine : r.functionLines.values()) {
                    assertTrue(r.lines().containsKey(fnLine), "FN line has code");
                }
            }
            previous = line;
        }
        assertEquals("end_of_record", previous);
        return out;
    }

    private Path covered(String mode, String... more) throws IOException {
        Path info = tmp.resolve(mode + ".info");
        List<String> args = new java.util.ArrayList<>(List.of("run", Limu.kernel("coverage.elf").toString(),
                "--cmdline", mode, "--timeout", "60s", "--coverage", info.toString()));
        args.addAll(List.of(more));
        Limu.Result r = Limu.run(args.toArray(String[]::new));
        assertEquals(33, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("coverage: " + mode + " done"), r.toString());
        r.assertNoStackTrace();
        return info;
    }

    @ParameterizedTest
    @ValueSource(strings = {"left", "right"})
    void theBranchTakenIsHitAndTheOtherIsMissedLineByLine(String mode) throws IOException {
        String other = mode.equals("left") ? "right" : "left";
        Map<String, Integer> marks = marks();
        Record main = parse(Files.readString(covered(mode))).get(SOURCE);
        assertTrue(main != null, "the kernel's own source has a record");
        for (String line : List.of("-body", "-print")) {
            assertEquals(1L, main.lines.get(marks.get(mode + line)), mode + line + " ran once");
            assertEquals(0L, main.lines.get(marks.get(other + line)), other + line + " is listed, never ran");
        }
        assertEquals(1L, main.functions.get("coverage::" + mode + "_branch"));
        assertEquals(0L, main.functions.get("coverage::" + other + "_branch"));
        assertEquals(0L, main.functions.get("coverage::hot_loop"));
        assertEquals(0L, main.lines.get(marks.get("hot-body")));
        // lines without code (the module comment, blank lines, the mark-free comment lines) are not listed at all
        for (int line = 1; line <= 17; line++) {
            assertFalse(main.lines.containsKey(line), "line " + line + " has no code");
        }
        assertTrue(main.functions.get("_start") == 1L);
    }

    @Test
    void genhtmlReadsTheTracefileWithoutWarningsAndShowsTheKernelsSource() throws IOException {
        Path info = covered("left");
        Path html = tmp.resolve("html");
        // the DWARF paths are relative to where the kernel was compiled: genhtml runs there
        Limu.Result r = Limu.exec(List.of("genhtml", "--output-directory", html.toString(), info.toString()), Map.of(),
                KERNEL_IMAGES);
        assertEquals(0, r.exitCode(), r.toString());
        assertFalse(r.stderr().toLowerCase().contains("warning") || r.stdout().toLowerCase().contains("warning"),
                r.toString());
        Path page;
        try (var files = Files.walk(html)) {
            page = files.filter(p -> p.toString().endsWith("coverage/src/main.rs.gcov.html")).findFirst().orElseThrow();
        }
        String text = Files.readString(page);
        assertTrue(text.contains("fn left_branch"), "the page shows the source");
        assertTrue(text.contains("lineCov") && text.contains("lineNoCov"), "hit and missed lines marked");
    }

    @Test
    void theSameRunTwiceGivesIdenticalCoverageAndProfileFiles() throws IOException {
        String[] first = new String[2];
        for (int i = 0; i < 2; i++) {
            Path profile = tmp.resolve("hot" + i + ".folded");
            Path info = covered("hot", "--profile", profile.toString());
            first[i] = Files.readString(info) + "\n" + Files.readString(profile);
            Files.delete(info);
        }
        assertEquals(first[0], first[1]);
        assertTrue(first[0].contains("coverage::hot_loop"), first[0]);
    }

    @Test
    void aProfileCountsOneSampleAnIntervalAndItsTopFrameIsTheHotFunction() throws Exception {
        Duration interval = Duration.ofNanos(50_000);
        KernelRun r = LimuMachine.kernel(Limu.kernel("coverage.elf")).cmdline("hot").successExitCode(33)
                .profile(interval).run();
        assertTrue(r.passed(), r.verdict().message());
        Profile p = r.profile();
        assertEquals(r.virtualNanos() / interval.toNanos(), p.samples(0), "one sample per interval of virtual time");
        assertTrue(p.samples(0) > 100, "the hot loop runs long enough");
        assertEquals("coverage::hot_loop", p.topFrame(0).orElseThrow());
        assertTrue(p.stacks(0).keySet().stream().anyMatch(s -> s.startsWith("CPU 0;_start;coverage::warm_caller;"
                + "coverage::hot_loop")), p.folded());
        assertTrue(p.selfSamples("coverage::hot_loop") * 2 > p.samples(0), "most samples are in the hot loop");
        // the SVG flame graph names each frame with its samples and share
        String svg = p.svg("hot");
        assertTrue(svg.startsWith("<?xml") && svg.contains("<svg") && svg.trim().endsWith("</svg>"));
        assertTrue(svg.contains("<title>coverage::hot_loop ("), svg);
    }

    @Test
    void twoCpusAreBothProfiledAndTheApsCodeIsCovered() throws Exception {
        Duration interval = Duration.ofNanos(20_000);
        KernelRun r = LimuMachine.kernel(Limu.kernel("coverage.elf")).cmdline("smp").cpus(2).successExitCode(33)
                .coverage().profile(interval).run();
        assertTrue(r.passed(), r.verdict().message() + "\n" + r.serial());
        LineCoverage c = r.coverage();
        assertTrue(c.executed("coverage::ap_entry"), "only the AP runs ap_entry");
        assertTrue(c.executed("coverage::ap_work"));
        assertFalse(c.executed("coverage::left_branch"));
        assertEquals(1000L, c.hits(SOURCE, marks().get("ap-body")).orElseThrow(), "the AP's loop body ran 1000 times");
        Profile p = r.profile();
        long expected = r.virtualNanos() / interval.toNanos();
        assertEquals(expected, p.samples(0));
        assertEquals(expected, p.samples(1));
        assertTrue(p.stacks(1).keySet().stream().anyMatch(s -> s.startsWith("CPU 1;coverage::ap_entry")), p.folded());
        assertTrue(p.stacks(1).containsKey("CPU 1;[idle]"), "the AP is idle before it starts and after it halts");
    }

    @Test
    void limuTestMergesTheCoverageOfEveryKernel() throws IOException {
        Path info = tmp.resolve("merged.info");
        String kernel = Limu.kernel("coverage.elf").toString();
        Limu.Result r = Limu.run("test", kernel, Limu.kernel("hello.elf").toString(), kernel, "--cmdline", "left",
                "--success-exit-code", "33", "--log-dir", tmp.resolve("logs").toString(), "-j", "1",
                "--coverage", info.toString());
        assertEquals(0, r.exitCode(), r.toString());
        Map<String, Record> merged = parse(Files.readString(info));
        assertEquals(2L, merged.get(SOURCE).lines.get(marks().get("left-body")), "two runs of the left branch add up");
        assertEquals(0L, merged.get(SOURCE).lines.get(marks().get("right-body")));
        assertTrue(merged.get("hello/src/main.rs").functions.get("hello_main") > 0, merged.keySet().toString());
    }

    @Test
    void aRelocatedKernelsCoverageFollowsItsSlide() throws IOException {
        Path info = tmp.resolve("pie.info");
        Limu.Result r = Limu.run("run", Limu.kernel("pie.elf").toString(), "--kaslr=2", "--timeout", "60s",
                "--coverage", info.toString(), "--coverage-path-map", "src/=pie/src/");
        assertEquals(33, r.exitCode(), r.toString());
        Map<String, Record> records = parse(Files.readString(info));
        Record main = records.get("pie/src/main.rs");
        assertTrue(main != null, records.keySet().toString());
        // without following the slide no executed block would meet a line's code. (This kernel is linked at
        // address 0, where GNU ld also leaves the line rows of discarded code, so few of main.rs's rows survive
        // as ranges of their own: docs/coverage-and-profiles.md.)
        assertTrue(main.lines.values().stream().filter(n -> n > 0).count() >= 1, main.lines.toString());
        long hit = records.values().stream().mapToLong(f -> f.lines.values().stream().filter(n -> n > 0).count()).sum();
        assertTrue(hit > 100, "lines hit in all files: " + hit);
    }
}
