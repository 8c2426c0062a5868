// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ./limu launcher at the repository root, as the README tells users to run it. */
class LauncherTest {
    @Test
    void helpListsTheCommandsAndExitCodes() {
        Limu.Result r = Limu.exec(List.of("bash", Limu.HOME.resolve("limu").toString(), "--help"), Map.of("LIMU_NO_REBUILD", "1"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("run"), r.toString());
        assertTrue(r.stdout().contains("bench"), r.toString());
        assertTrue(r.stdout().contains("Exit codes of 'limu run'"), r.toString());
    }

    @Test
    void runsAKernel() {
        Limu.Result r = Limu.exec(List.of("bash", Limu.HOME.resolve("limu").toString(), "run",
                Limu.kernel("tutorial.elf").toString(), "--memory", "256M", "--timeout", "10s"), Map.of("LIMU_NO_REBUILD", "1"));
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.stdout().contains("Hello World!"), r.toString());
    }
}
