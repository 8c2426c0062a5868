// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kernel-images/runloop checks from inside: RDMSR/WRMSR in code written at run time are
 * limu's (a known MSR reads its value, an unknown one raises #GP), a TSC-deadline timer
 * armed while the CPU spins fires within 10 us of its deadline, and a PAUSE spinlock
 * taken by every CPU keeps an exact count.
 */
class RunLoopTest {
    private static final Pattern LATENESS = Pattern.compile("timer: max lateness (\\d+) ticks");

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void msrsTimersAndSpinlocks(int cpus) {
        for (String kernel : new String[] {"runloop.elf", "runloop-release.elf"}) {
            Limu.Result r = Limu.run("run", Limu.kernel(kernel).toString(), "--cpus", String.valueOf(cpus),
                    "--timeout", "120s");
            assertEquals(33, r.exitCode(), r.toString());
            assertFalse(r.stdout().contains("FAIL"), r.toString());
            assertTrue(r.stdout().contains("ok: written code: RDMSR of an unknown MSR raises #GP(0)"), r.toString());
            Matcher m = LATENESS.matcher(r.stdout());
            assertTrue(m.find(), r.toString());
            assertTrue(Long.parseLong(m.group(1)) < 10_000, r.toString());
            assertTrue(r.stdout().contains("spinlock: " + cpus + " CPUs, counter " + cpus * 20_000L), r.toString());
            r.assertNoStackTrace();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void sameOutputEveryRun(int cpus) {
        String first = null;
        for (int i = 0; i < 3; i++) {
            Limu.Result r = Limu.run("run", Limu.kernel("runloop.elf").toString(), "--cpus", String.valueOf(cpus),
                    "--timeout", "120s");
            assertEquals(33, r.exitCode(), r.toString());
            if (first == null) {
                first = r.stdout();
            } else {
                assertEquals(first, r.stdout());
            }
        }
    }
}
