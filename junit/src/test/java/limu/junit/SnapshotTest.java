// SPDX-License-Identifier: GPL-2.0-or-later
package limu.junit;

import static limu.junit.LimuAssertions.assertPassed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import limu.emulator.harness.KernelRun;
import limu.emulator.harness.SharedBoot;
import org.junit.jupiter.api.Test;

/**
 * The suite kernel booted once and snapshotted at the marker port; each
 * test restored from the snapshot behaves exactly as a fresh boot given the same input
 * (byte-identical serial output, identical instruction and block counts and virtual time),
 * whatever ran on the machine before the restore.
 */
class SnapshotTest {
    static LimuMachine suite() {
        return LimuMachine.kernel(HarnessApiTest.kernel("suite-release.elf")).memory("64M").countInstructions()
                .successExitCode(33).failOn("panicked at");
    }

    @Test
    void restoredRunsMatchUninterruptedRuns() throws Exception {
        try (SharedBoot boot = suite().bootOnce()) {
            assertTrue(boot.bootLog().contains("suite: booted, table sum"), boot.bootLog());
            // test 3 first, then others: each restore must undo what the previous test changed
            for (String input : new String[] {"3\n", "17\n", "3\n", "fail\n", "0\n"}) {
                KernelRun restored = boot.restoreAndRun(input);
                KernelRun fresh = suite().runWithInputAtMarker(input);
                assertEquals(fresh.serial(), restored.serial(), "serial after the marker, input " + input.trim());
                assertEquals(fresh.blocks(), restored.blocks(), "blocks, input " + input.trim());
                assertEquals(fresh.instructions(), restored.instructions(), "instructions, input " + input.trim());
                assertEquals(fresh.virtualNanos(), restored.virtualNanos(), "virtual time, input " + input.trim());
                assertEquals(fresh.exitCode(), restored.exitCode());
                if (input.equals("fail\n")) {
                    assertFalse(restored.passed(), restored.serial());
                } else {
                    assertPassed(restored);
                    assertTrue(restored.serial().contains("test " + input.trim() + ": sum"), restored.serial());
                }
            }
        }
    }
}
