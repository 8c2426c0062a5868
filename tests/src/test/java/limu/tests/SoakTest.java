// SPDX-License-Identifier: GPL-2.0-or-later
package limu.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The soak runs, short: 200 boots with {@code limu test}, 50 snapshot restores and 20 gdb attach/detach
 * cycles back to back, each in one JVM, with no growth of open file descriptors or limu's threads
 * after the warm-up ({@code scripts/soak.py --quick --no-rss-rule}: a run this short is all warm-up for
 * the JVM's heap, so resident memory is only shown; {@code scripts/soak.sh} judges it over 10,000 boots).
 */
class SoakTest {
    @Test
    void shortSoakLeaksNoFileDescriptorsOrThreads() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("python3", Limu.HOME.resolve("scripts/soak.py").toString(), "--quick",
                "--no-rss-rule").directory(Limu.HOME.toFile()).redirectErrorStream(true);
        pb.environment().put("LIMU_NO_REBUILD", "1");
        pb.environment().remove("LIMU_UNICORN_LIB");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), out);
        System.out.println(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("boots: limu test: 200 passed, 0 failed"), out);
        assertTrue(out.contains("restores: 50 done, 0 failed"), out);
        assertTrue(out.contains("soak: boots PASS, restores PASS, gdb PASS"), out);
    }
}
