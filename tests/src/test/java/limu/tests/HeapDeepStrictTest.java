// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --heap-check=deep|strict} and {@code --heap-picture} on heap-talc and heap-bugs. */
class HeapDeepStrictTest {
    private static final int HEAP_VIOLATION = 18;
    private static final int GUEST_SUCCESS = 33;

    private static Limu.Result run(String kernel, String... extra) {
        String[] args = new String[extra.length + 4];
        args[0] = "run";
        args[1] = Limu.kernel(kernel).toString();
        args[2] = "--framebuffer=none";
        args[3] = "--timeout=120s";
        System.arraycopy(extra, 0, args, 4, extra.length);
        return Limu.run(args);
    }

    @ParameterizedTest
    @CsvSource({
        // the stray write is found at the next allocator call (deep) or at the writing instruction (strict)
        "overflow,       deep,   talc metadata corrupt,  heap_bugs::overflow, tag below it",
        "corrupt,        deep,   talc metadata corrupt,  heap_bugs::corrupt_metadata, size word",
        "overflow,       strict, heap overflow,          heap_bugs::overflow, 1-byte write",
        "use-after-free, strict, use after free,         heap_bugs::use_after_free, 8-byte read",
        "corrupt,        strict, access to heap memory outside any live block, heap_bugs::corrupt_metadata, 8-byte write",
    })
    void eachStrayAccessIsCaughtWithItsKindAndFunction(String mode, String check, String kind, String function,
                                                       String detail) {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=" + mode, "--heap-check=" + check);
        assertEquals(HEAP_VIOLATION, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        String first = r.stderr().lines().filter(l -> l.startsWith("limu: heap check:")).findFirst().orElseThrow();
        assertTrue(first.contains("heap check: " + kind), r.toString());
        assertTrue(first.contains(" in " + function + "+0x"), "location in the summary line:\n" + r);
        assertTrue(r.stderr().contains(detail), r.toString());
        assertTrue(r.stderr().contains("backtrace"), r.toString());
    }

    /** The release build, watched through its GlobalAlloc methods (talc's methods are inlined there). */
    @ParameterizedTest
    @CsvSource({
        "overflow,       deep,   talc metadata corrupt,  heap_bugs::overflow",
        "use-after-free, strict, use after free,         heap_bugs::use_after_free",
        "corrupt,        strict, access to heap memory outside any live block, heap_bugs::corrupt_metadata",
    })
    void releaseBuildCatchesTheStrayAccessesToo(String mode, String check, String kind, String function) {
        Limu.Result r = run("heap-bugs-release.elf", "--cmdline=" + mode, "--heap-check=" + check);
        assertEquals(HEAP_VIOLATION, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        String first = r.stderr().lines().filter(l -> l.startsWith("limu: heap check:")).findFirst().orElseThrow();
        assertTrue(first.contains("heap check: " + kind), r.toString());
        assertTrue(first.contains(" in " + function + "+0x"), "location in the summary line:\n" + r);
    }

    @Test
    void useAfterFreeNamesTheFreeingCall() {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=use-after-free", "--heap-check=strict");
        assertTrue(r.stderr().contains("freed by call #3 on CPU 0 at heap_bugs::use_after_free+0x"), r.toString());
    }

    @Test
    void plainCheckMissesTheStrayAccesses() {
        Limu.Result r = run("heap-bugs.elf", "--cmdline=use-after-free", "--heap-check");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
    }

    @ParameterizedTest
    @CsvSource({"deep, heap-talc.elf", "strict, heap-talc.elf", "deep, heap-talc-release.elf",
        "strict, heap-talc-release.elf"})
    void healthyKernelRunsCleanUnderDeepAndStrict(String check, String kernel) {
        Limu.Result r = run(kernel, "--cpus=2", "--heap-check=" + check);
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        r.assertNoStackTrace();
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
        assertTrue(r.stderr().matches("(?s).*heap: deep: [1-9]\\d* metadata walks\\n.*"), r.toString());
        assertTrue(r.stderr().contains("largest free span"), r.toString());
    }

    @Test
    void pictureIsWrittenAsPngAndSvg(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("heap.png");
        Path svg = dir.resolve("heap.svg");
        Limu.Result r = run("heap-talc.elf", "--heap-check", "--heap-picture=" + png, "--cmdline=rounds=2");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        javax.imageio.ImageIO.read(png.toFile()).getWidth();
        r = run("heap-talc.elf", "--heap-check", "--heap-picture=" + svg, "--cmdline=rounds=2");
        String text = Files.readString(svg);
        assertTrue(text.startsWith("<svg") && text.contains("heap_talc::work"), text);
    }

    @Test
    void releaseBuildIsWatchedThroughTalcsOwnMethodsAndCountsLikeTalc() {
        Limu.Result r = run("heap-talc-release.elf", "--cpus=2", "--heap-check=strict");
        assertEquals(GUEST_SUCCESS, r.exitCode(), r.toString());
        assertTrue(r.stderr().contains("watching talc's own Talc::malloc"), r.toString());
        java.util.regex.Matcher talc = java.util.regex.Pattern.compile("talc counters: live (\\d+) blocks, (\\d+) bytes")
                .matcher(r.stdout());
        assertTrue(talc.find(), r.toString());
        assertTrue(r.stderr().contains("heap: live at exit: " + talc.group(1) + " blocks, " + talc.group(2) + " bytes"),
                r.toString());
        assertTrue(r.stderr().contains("heap: 0 violations"), r.toString());
    }

    @Test
    void badModeIsRefused() {
        Limu.Result r = run("heap-talc.elf", "--heap-check=deeper");
        assertEquals(2, r.exitCode(), r.toString());
        assertFalse(r.stderr().contains("Exception"), r.toString());
    }
}
