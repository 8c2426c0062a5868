// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A kernel that starts its APs itself (no MP request): INIT, then two start-up
 * IPIs to each AP, which runs its real-mode trampoline into long mode and
 * reports in (kernel-images/sipi).
 */
class SipiTest {
    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void apsStartThroughInitAndStartupIpis(int cpus) {
        for (String kernel : new String[] {"sipi.elf", "sipi-release.elf"}) {
            Limu.Result r = Limu.run("run", Limu.kernel(kernel).toString(), "--cpus", String.valueOf(cpus),
                    "--cmdline", "cpus=" + cpus, "--timeout", "60s");
            assertEquals(33, r.exitCode(), r.toString());
            assertFalse(r.stdout().contains("FAIL"), r.toString());
            assertTrue(r.stdout().contains("sipi: trampoline at 0x8000 (vector 0x8), " + cpus + " CPUs"),
                    r.toString());
            for (int id = 1; id < cpus; id++) {
                assertTrue(r.stdout().contains("sipi: CPU " + id + " started\n"), r.toString());
            }
            assertEquals(cpus - 1, r.stdout().split("sipi: CPU ", -1).length - 1, r.toString());
            assertTrue(r.stdout().contains("sipi: " + (cpus - 1) + " APs started"), r.toString());
            r.assertNoStackTrace();
        }
    }
}
