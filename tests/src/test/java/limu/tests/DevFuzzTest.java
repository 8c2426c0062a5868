// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The devfuzz kernel's random device accesses (docs/fuzzing.md), a few seeds, each in its own limu: every run
 * must reach the kernel's report and exit 33, never an internal error (12), a timeout (10), a guest crash or a
 * stack trace. scripts/devfuzz.sh runs many more.
 */
class DevFuzzTest {
    private static final Pattern REPORT = Pattern.compile(
            "devfuzz: seed=(\\d+) accesses=5000 interrupts=(\\d+) vectors=(\\d+) gp=(\\d+) storms=(\\d+)");

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8, 13, 21})
    void aSeedRunsToItsReport(int seed) {
        Limu.Result r = Limu.run("run", Limu.kernel("devfuzz.elf").toString(), "--cmdline",
                "seed=" + seed + " accesses=5000", "--timeout", "120s");
        r.assertNoStackTrace();
        assertEquals(33, r.exitCode(), r.stderr());
        Matcher m = REPORT.matcher(r.stdout());
        assertTrue(m.find(), "no report line in the output");
        assertEquals(seed, Integer.parseInt(m.group(1)));
        assertTrue(Long.parseLong(m.group(2)) > 0, "interrupts were taken while the devices were fuzzed");
    }
}
