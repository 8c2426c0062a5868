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
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Limu.HOME.resolve("kernel-images/cargo-test/test.sh").toString()));
        cmd.addAll(List.of(extra));
        // the launcher must not rebuild limu in the middle of the build that tests it
        return Limu.exec(cmd, Map.of("LIMU_NO_REBUILD", "1"));
    }

    @Test
    void cargoTestRunsTheInKernelTestsThroughLimu() {
        Limu.Result r = cargoTest();
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("test cargo_test::maybe_failing ... ok"), r.toString());
        assertTrue(r.stdout().contains("test result: ok. 4 passed"), r.toString());
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
}
