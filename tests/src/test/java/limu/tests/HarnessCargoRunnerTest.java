// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * limu as cargo's target runner: kernel-images/cargo-test's `cargo test`
 * (custom test framework, runner in its .cargo/config.toml) passes, and fails
 * when one in-kernel test fails.
 */
class HarnessCargoRunnerTest {
    private static Limu.Result cargoTest(String... extra) {
        return cargoTest(Map.of(), extra);
    }

    private static Limu.Result cargoTest(Map<String, String> env, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Limu.HOME.resolve("kernel-images/cargo-test/test.sh").toString()));
        cmd.addAll(List.of(extra));
        Map<String, String> all = new java.util.HashMap<>(env);
        // the launcher must not rebuild limu in the middle of the build that tests it
        all.put("LIMU_NO_REBUILD", "1");
        return Limu.exec(cmd, all);
    }

    /** The config's runner with --heap-check, set for one invocation through cargo's environment variable. */
    private static Map<String, String> heapCheckingRunner() {
        return Map.of("CARGO_TARGET_X86_64_UNKNOWN_NONE_RUNNER", Limu.HOME.resolve("limu")
                + " run --success-exit-code 33 --fail-on panicked --timeout 60s --framebuffer none --heap-check");
    }

    @Test
    void cargoTestRunsTheInKernelTestsThroughLimu() {
        Limu.Result r = cargoTest();
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("test cargo_test::maybe_failing ... ok"), r.toString());
        assertTrue(r.stdout().contains("test result: ok. 5 passed"), r.toString());
        assertTrue(r.stderr().contains("limu: passed: guest exit status 33"), r.toString());
    }

    @Test
    void cargoTestFailsWhenAnInKernelTestFails() {
        Limu.Result r = cargoTest("--features", "fail-one");
        assertNotEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("test cargo_test::maybe_failing ... FAILED"), r.toString());
        assertTrue(r.stdout().contains("the fail-one feature makes this test fail"), "the panic message is kept\n" + r);
        assertTrue(r.stderr().contains("limu: FAILED: serial line 5 matches --fail-on 'panicked at'"), r.toString());
        assertTrue(r.stderr().contains("(exit status: 26)"), r.toString());
    }

    @Test
    void heapCheckingWorksWithLimuAsTheRunner() {
        Limu.Result clean = cargoTest(heapCheckingRunner());
        assertEquals(0, clean.exitCode(), clean.toString());
        assertTrue(clean.stdout().contains("test cargo_test::vectors_and_boxes_use_the_heap ... ok"), clean.toString());
        assertTrue(clean.stderr().contains("limu: heap: 0 violations"), clean.toString());
        assertTrue(java.util.regex.Pattern.compile("limu: heap: [1-9]\\d* alloc").matcher(clean.stderr()).find(),
                clean.toString());

        Limu.Result unchecked = cargoTest("--features", "double-free");
        assertEquals(0, unchecked.exitCode(), "the bump heap does not notice a double free\n" + unchecked);

        Limu.Result caught = cargoTest(heapCheckingRunner(), "--features", "double-free");
        assertNotEquals(0, caught.exitCode(), caught.toString());
        assertTrue(caught.stderr().contains("limu: FAILED: heap check: double free on CPU 0 in"
                + " cargo_test::frees_a_block_twice"), caught.toString());
        assertTrue(caught.stderr().contains("(exit status: 18)"), caught.toString());
    }
}
